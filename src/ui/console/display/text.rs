//! Text that crosses the RFB wire: cut text (the clipboard) is Latin-1 by the protocol,
//! reasons and error messages are whatever the server wrote. gvnc hands both over as C
//! strings without checking their encoding, so they are read here as bytes.

use gtk::glib;
use gtk::glib::translate::ToGlibPtr;

/// Latin-1 bytes (RFB cut text) as a string: every byte is the code point of its value.
pub fn latin1_to_string(bytes: &[u8]) -> String {
    bytes
        .iter()
        .filter(|&&b| b != 0)
        .map(|&b| b as char)
        .collect()
}

/// A string as Latin-1 bytes for RFB cut text. Characters Latin-1 cannot hold are
/// dropped (not replaced by a `?` the person never typed), and so is NUL.
pub fn string_to_latin1(s: &str) -> Vec<u8> {
    s.chars()
        .filter_map(|c| u8::try_from(u32::from(c)).ok())
        .filter(|&b| b != 0)
        .collect()
}

/// A server's reason or error message: UTF-8 when it is valid UTF-8, Latin-1 otherwise,
/// without the NUL and spaces some servers count in its length.
pub fn reason_text(bytes: &[u8]) -> String {
    let s = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => latin1_to_string(bytes),
    };
    s.trim_end_matches(|c: char| c == '\0' || c.is_whitespace())
        .to_string()
}

/// The bytes of a string argument of a signal (a `G_TYPE_STRING` value), whatever their
/// encoding: gvnc's own bindings would take them for UTF-8 unchecked.
pub fn string_arg(v: &glib::Value) -> Vec<u8> {
    if !v.type_().is_a(glib::Type::STRING) {
        return Vec::new();
    }
    // SAFETY: the value holds a string (checked above); the pointer is borrowed for the
    // duration of this call and copied before the value can go away.
    unsafe {
        let p = glib::gobject_ffi::g_value_get_string(v.to_glib_none().0);
        if p.is_null() {
            return Vec::new();
        }
        std::ffi::CStr::from_ptr(p).to_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_round_trip_keeps_what_latin1_holds() {
        assert_eq!(string_to_latin1("Grüße, café"), b"Gr\xfc\xdfe, caf\xe9");
        assert_eq!(latin1_to_string(b"Gr\xfc\xdfe, caf\xe9"), "Grüße, café");
        // The euro sign, CJK and emoji are not Latin-1: dropped, the rest stays.
        assert_eq!(string_to_latin1("5 € 日本 🙂!"), b"5   !");
        assert_eq!(string_to_latin1("a\0b"), b"ab");
        let all: Vec<u8> = (1..=255u8).collect();
        assert_eq!(string_to_latin1(&latin1_to_string(&all)), all);
    }

    #[test]
    fn reasons_are_read_in_either_encoding() {
        assert_eq!(
            reason_text(b"Authentication failed\0"),
            "Authentication failed"
        );
        assert_eq!(
            reason_text("Zugriff verweigert: ä".as_bytes()),
            "Zugriff verweigert: ä"
        );
        assert_eq!(
            reason_text(b"Mot de passe refus\xe9"),
            "Mot de passe refusé"
        );
    }
}
