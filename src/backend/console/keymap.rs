//! Keys for the VNC console: Linux evdev key codes (what X11 and Wayland report, plus 8)
//! to the "QEMU scancodes" of QEMU's extended key event, which are PC/AT scancode set 1
//! with the 0xE0 prefix folded into the high bit (`E0 1D`, right Ctrl, is 0x9D).
//!
//! Sending the physical key rather than the symbol makes every keyboard layout work:
//! the guest applies its own layout, as it would with a real keyboard. The table is ours,
//! written from the published Linux `input-event-codes.h` numbers and the set 1 scancode
//! tables of the PC keyboard.

/// X11 and Wayland key codes are evdev codes plus this offset.
pub const XKB_EVDEV_OFFSET: u32 = 8;

/// Scancode (QEMU number) of each evdev code, indexed by the evdev code; 0 means none.
const EVDEV_TO_QNUM: [u16; 227] = {
    let mut t = [0u16; 227];
    // 1..=83: KEY_ESC .. KEY_KPDOT map one to one onto set 1 (Esc = 0x01 … KP. = 0x53).
    let mut i = 1;
    while i <= 83 {
        t[i] = i as u16;
        i += 1;
    }
    t[85] = 0x76; // KEY_ZENKAKUHANKAKU
    t[86] = 0x56; // KEY_102ND (the extra key left of Z on ISO keyboards)
    t[87] = 0x57; // KEY_F11
    t[88] = 0x58; // KEY_F12
    t[89] = 0x73; // KEY_RO
    t[90] = 0x78; // KEY_KATAKANA
    t[91] = 0x77; // KEY_HIRAGANA
    t[92] = 0x79; // KEY_HENKAN
    t[93] = 0x70; // KEY_KATAKANAHIRAGANA
    t[94] = 0x7b; // KEY_MUHENKAN
    t[95] = 0x5c; // KEY_KPJPCOMMA
    t[96] = 0x9c; // KEY_KPENTER        E0 1C
    t[97] = 0x9d; // KEY_RIGHTCTRL      E0 1D
    t[98] = 0xb5; // KEY_KPSLASH        E0 35
    t[99] = 0xb7; // KEY_SYSRQ (Print)  E0 37
    t[100] = 0xb8; // KEY_RIGHTALT      E0 38
    t[102] = 0xc7; // KEY_HOME          E0 47
    t[103] = 0xc8; // KEY_UP            E0 48
    t[104] = 0xc9; // KEY_PAGEUP        E0 49
    t[105] = 0xcb; // KEY_LEFT          E0 4B
    t[106] = 0xcd; // KEY_RIGHT         E0 4D
    t[107] = 0xcf; // KEY_END           E0 4F
    t[108] = 0xd0; // KEY_DOWN          E0 50
    t[109] = 0xd1; // KEY_PAGEDOWN      E0 51
    t[110] = 0xd2; // KEY_INSERT        E0 52
    t[111] = 0xd3; // KEY_DELETE        E0 53
    t[113] = 0xa0; // KEY_MUTE          E0 20
    t[114] = 0xae; // KEY_VOLUMEDOWN    E0 2E
    t[115] = 0xb0; // KEY_VOLUMEUP      E0 30
    t[116] = 0xde; // KEY_POWER         E0 5E
    t[117] = 0x59; // KEY_KPEQUAL
    t[119] = 0xc6; // KEY_PAUSE         (E1 1D 45, QEMU's number for it)
    t[121] = 0x7e; // KEY_KPCOMMA
    t[122] = 0xf2; // KEY_HANGEUL
    t[123] = 0xf1; // KEY_HANJA
    t[124] = 0x7d; // KEY_YEN
    t[125] = 0xdb; // KEY_LEFTMETA      E0 5B
    t[126] = 0xdc; // KEY_RIGHTMETA     E0 5C
    t[127] = 0xdd; // KEY_COMPOSE (Menu) E0 5D
    t[128] = 0xe8; // KEY_STOP          E0 68
    t[140] = 0xa1; // KEY_CALC          E0 21
    t[142] = 0xdf; // KEY_SLEEP         E0 5F
    t[143] = 0xe3; // KEY_WAKEUP        E0 63
    t[155] = 0xec; // KEY_MAIL          E0 6C
    t[156] = 0xe6; // KEY_BOOKMARKS     E0 66
    t[157] = 0xeb; // KEY_COMPUTER      E0 6B
    t[158] = 0xea; // KEY_BACK          E0 6A
    t[159] = 0xe9; // KEY_FORWARD       E0 69
    t[163] = 0x99; // KEY_NEXTSONG      E0 19
    t[164] = 0xa2; // KEY_PLAYPAUSE     E0 22
    t[165] = 0x90; // KEY_PREVIOUSSONG  E0 10
    t[166] = 0xa4; // KEY_STOPCD        E0 24
    t[172] = 0xb2; // KEY_HOMEPAGE      E0 32
    t[173] = 0xe7; // KEY_REFRESH       E0 67
    t[183] = 0x5d; // KEY_F13
    t[184] = 0x5e; // KEY_F14
    t[185] = 0x5f; // KEY_F15
    t[217] = 0xe5; // KEY_SEARCH        E0 65
    t[226] = 0xed; // KEY_MEDIA         E0 6D
    t
};

/// The QEMU scancode of a Linux evdev key code, if it has one.
pub fn evdev_to_qnum(evdev: u32) -> Option<u16> {
    EVDEV_TO_QNUM
        .get(evdev as usize)
        .copied()
        .filter(|&q| q != 0)
}

/// The QEMU scancode of an X11/Wayland (XKB evdev) hardware key code.
pub fn xkb_to_qnum(keycode: u32) -> Option<u16> {
    keycode
        .checked_sub(XKB_EVDEV_OFFSET)
        .and_then(evdev_to_qnum)
}

/// Keys of the send-key menu, by evdev code (so they go through the same table).
pub mod evdev {
    pub const ESC: u32 = 1;
    pub const BACKSPACE: u32 = 14;
    pub const LEFTCTRL: u32 = 29;
    pub const LEFTALT: u32 = 56;
    pub const F1: u32 = 59;
    pub const F10: u32 = 68;
    pub const F11: u32 = 87;
    pub const F12: u32 = 88;
    pub const SYSRQ: u32 = 99;
    pub const DELETE: u32 = 111;

    /// F1 … F12 by number (1-based).
    pub fn function_key(n: u32) -> Option<u32> {
        match n {
            1..=10 => Some(F1 + n - 1),
            11 => Some(F11),
            12 => Some(F12),
            _ => None,
        }
    }
}

/// X keysyms for the send-key combinations, used when the server lacks the extended key
/// event (then the keysym is all that is sent).
pub fn keysym_of_evdev(evdev: u32) -> u32 {
    match evdev {
        evdev::ESC => 0xff1b,
        evdev::BACKSPACE => 0xff08,
        evdev::LEFTCTRL => 0xffe3,
        evdev::LEFTALT => 0xffe9,
        evdev::SYSRQ => 0xff61,
        evdev::DELETE => 0xffff,
        e if (evdev::F1..=evdev::F10).contains(&e) => 0xffbe + (e - evdev::F1),
        evdev::F11 => 0xffc8,
        evdev::F12 => 0xffc9,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_block_maps_one_to_one() {
        assert_eq!(evdev_to_qnum(1), Some(0x01)); // Esc
        assert_eq!(evdev_to_qnum(16), Some(0x10)); // Q
        assert_eq!(evdev_to_qnum(28), Some(0x1c)); // Enter
        assert_eq!(evdev_to_qnum(57), Some(0x39)); // Space
        assert_eq!(evdev_to_qnum(83), Some(0x53)); // KP .
    }

    #[test]
    fn extended_keys_carry_the_high_bit() {
        assert_eq!(evdev_to_qnum(97), Some(0x9d)); // right Ctrl
        assert_eq!(evdev_to_qnum(100), Some(0xb8)); // AltGr
        assert_eq!(evdev_to_qnum(103), Some(0xc8)); // Up
        assert_eq!(evdev_to_qnum(111), Some(0xd3)); // Delete
        assert_eq!(evdev_to_qnum(125), Some(0xdb)); // Super
        assert_eq!(evdev_to_qnum(99), Some(0xb7)); // Print
    }

    #[test]
    fn xkb_codes_are_offset_by_eight() {
        assert_eq!(xkb_to_qnum(9), Some(0x01)); // Escape on X11
        assert_eq!(xkb_to_qnum(36), Some(0x1c)); // Return
        assert_eq!(xkb_to_qnum(105), Some(0x9d)); // Control_R
        assert_eq!(xkb_to_qnum(0), None);
        assert_eq!(xkb_to_qnum(7), None);
        assert_eq!(xkb_to_qnum(100_000), None);
        assert_eq!(evdev_to_qnum(84), None); // unused code
    }

    #[test]
    fn no_two_keys_share_a_scancode() {
        let mut seen = std::collections::HashMap::new();
        for (code, &q) in EVDEV_TO_QNUM.iter().enumerate() {
            if q == 0 {
                continue;
            }
            if let Some(other) = seen.insert(q, code) {
                panic!("evdev {code} and {other} both map to {q:#x}");
            }
        }
    }

    #[test]
    fn send_key_helpers() {
        assert_eq!(evdev::function_key(1), Some(59));
        assert_eq!(evdev::function_key(12), Some(88));
        assert_eq!(evdev::function_key(13), None);
        assert_eq!(
            evdev_to_qnum(evdev::function_key(11).unwrap_or(0)),
            Some(0x57)
        );
        assert_eq!(keysym_of_evdev(evdev::F1), 0xffbe);
        assert_eq!(keysym_of_evdev(evdev::F10), 0xffc7);
        assert_eq!(keysym_of_evdev(evdev::DELETE), 0xffff);
    }
}
