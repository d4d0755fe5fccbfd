//! The framebuffer a protocol session writes into (gvnc decodes into memory of ours;
//! spice-client-glib into its own primary surface), and the memory frames live in.

use gtk::gdk;
use gtk::glib::translate::{from_glib_full, ToGlibPtr};
use gtk::prelude::*;

/// The pixel layout we ask the server for: 32-bit true colour, 0x00RRGGBB in native
/// byte order, which is BGRX in memory on little-endian machines.
pub(super) fn local_format() -> gvnc::PixelFormat {
    let order = if cfg!(target_endian = "little") {
        gvnc::ByteOrder::Little
    } else {
        gvnc::ByteOrder::Big
    };
    gvnc::PixelFormat::new_with((255, 255, 255), (16, 8, 0), 24, 32, order, 1)
        .unwrap_or_else(|_| gvnc::PixelFormat::new())
}

/// The GDK format of our pixels once the padding byte is made opaque.
pub(super) fn memory_format() -> gdk::MemoryFormat {
    if cfg!(target_endian = "little") {
        gdk::MemoryFormat::B8g8r8a8Premultiplied
    } else {
        gdk::MemoryFormat::A8r8g8b8Premultiplied
    }
}

/// Keep the memory of frame-sized allocations in the process between frames.
///
/// Every frame, GTK's cairo renderer and GDK's X11 backend allocate and free a few
/// surfaces the size of the window (a cairo node's surface, the paint buffer). glibc
/// gives blocks that large back to the kernel on free — `munmap`, or `brk` trimming
/// the heap's top — so the next frame gets fresh zeroed pages: measured with
/// bench/console-bench.sh, 22 000 page faults a second and half of the console's CPU
/// time spent in the kernel. With fixed thresholds those blocks come from and return
/// to the heap, and the faults drop to none. Called once, when the first display is
/// made (the allocator is the process's; the limits keep a 4K guest's frames in the
/// heap, and let the heap shrink once more than 64 MiB at its top is free).
pub(super) fn keep_frame_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only sets allocator parameters; it is called on the main
        // thread before the console allocates frames.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
        }
    });
}

/// Frame buffers of the last frames, reused: a fresh allocation of this size is a
/// fresh mmap, and its page faults cost more than the copy itself.
static POOL: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

pub(super) fn pooled(len: usize) -> Vec<u8> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    match pool.iter().position(|v| v.len() == len) {
        Some(i) => pool.swap_remove(i),
        None => vec![0u8; len],
    }
}

/// Pixels handed to GTK (a texture's bytes or a cairo surface's data); the memory goes
/// back to the pool when GTK lets go of it.
pub(super) struct Pixels(pub(super) Vec<u8>);

impl AsRef<[u8]> for Pixels {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl AsMut<[u8]> for Pixels {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl Drop for Pixels {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 4 {
            pool.push(v);
        }
    }
}

/// One frame, in the form the window's renderer takes without converting it: GTK 4.8's
/// cairo renderer turns every texture into a cairo surface through floats (two
/// conversions per pixel), so for it the frame is a cairo image surface (RGB24 ignores
/// the padding byte); other renderers upload a memory texture as it is.
#[derive(Clone)]
pub enum Frame {
    Texture(gdk::Texture),
    Surface(gtk::cairo::ImageSurface),
}

impl Frame {
    pub(super) fn size(&self) -> (i32, i32) {
        match self {
            Frame::Texture(t) => (t.width(), t.height()),
            Frame::Surface(s) => (s.width(), s.height()),
        }
    }
}

/// Keeps a framebuffer's gvnc object (and so its pixel memory) alive while a cairo
/// surface over that memory lives.
static FB_OWNER: gtk::cairo::UserDataKey<gvnc::BaseFramebuffer> = gtk::cairo::UserDataKey::new();

/// The guest screen's pixels: 0x00RRGGBB words, `stride` bytes a row. For VNC the
/// memory is ours, owned by the gvnc object (dropped with it, so gvnc never writes
/// into freed memory); for SPICE it is spice-client-glib's primary surface, lent until
/// the surface is destroyed (see [`Fb::over_spice_primary`]).
pub struct Fb {
    /// A cairo surface over the same memory (RGB24 is 0x00RRGGBB in native order,
    /// exactly our pixels, the padding byte ignored), for the cairo renderer: no copy
    /// of our own per frame. GTK 4.8's cairo node records the paint, and cairo holds a
    /// copy-on-write snapshot of the source; `flush` before the next frame hands that
    /// snapshot its own pixels only while the previous node still lives. The sessions
    /// write and GTK renders on the main thread, so a frame never shows half an update.
    pub(super) surface: Option<gtk::cairo::ImageSurface>,
    /// gvnc's framebuffer object (VNC only).
    pub(super) obj: Option<gvnc::BaseFramebuffer>,
    ptr: *const u32,
    pub(super) width: i32,
    pub(super) height: i32,
    /// Bytes from one row to the next.
    stride: i32,
}

/// Largest framebuffer side we accept (what QEMU allows, with room).
const MAX_SIDE: i32 = 16384;

impl Fb {
    pub(super) fn new(width: i32, height: i32, remote: &gvnc::PixelFormat) -> Option<Fb> {
        if width <= 0 || height <= 0 || width > MAX_SIDE || height > MAX_SIDE {
            return None;
        }
        let mut pixels: Box<[u32]> = vec![0u32; width as usize * height as usize].into();
        let local = local_format();
        let ptr = pixels.as_mut_ptr().cast::<u8>();
        // SAFETY: `ptr` points to width*height*4 writable bytes with the given stride;
        // both formats are valid boxed values for the duration of the call. The returned
        // object is a new reference we own (transfer full).
        let obj: gvnc::BaseFramebuffer = unsafe {
            from_glib_full(gvnc::ffi::vnc_base_framebuffer_new(
                ptr,
                width as u16,
                height as u16,
                width * 4,
                local.to_glib_none().0,
                remote.to_glib_none().0,
            ))
        };
        // SAFETY: the key is used with this type only; the boxed slice (whose heap
        // memory does not move when the box moves) is dropped when the object is
        // finalized, after gvnc's last use of it.
        unsafe {
            obj.set_data("hangar-pixels", pixels);
        }
        // SAFETY: `ptr` stays valid while `obj` lives, and the surface holds a reference
        // to `obj` (user data dropped with the surface), so it never outlives the memory.
        let surface = unsafe {
            gtk::cairo::ImageSurface::create_for_data_unsafe(
                ptr,
                gtk::cairo::Format::Rgb24,
                width,
                height,
                width * 4,
            )
        }
        .ok()
        .filter(|s| {
            s.set_user_data(&FB_OWNER, std::rc::Rc::new(obj.clone()))
                .is_ok()
        });
        Some(Fb {
            surface,
            obj: Some(obj),
            ptr: ptr.cast::<u32>(),
            width,
            height,
            stride: width * 4,
        })
    }

    /// A framebuffer over a SPICE primary surface (32-bit xRGB).
    ///
    /// # Safety
    /// `data` must hold `stride * height` bytes, 4-aligned, valid until this `Fb` is
    /// dropped: drop it (which finishes the cairo surface over it, so no frame still
    /// held by GTK reads it afterwards) when the surface is destroyed or the session
    /// closed.
    pub(super) unsafe fn over_spice_primary(
        data: *mut u8,
        width: i32,
        height: i32,
        stride: i32,
    ) -> Option<Fb> {
        if width <= 0
            || height <= 0
            || width > MAX_SIDE
            || height > MAX_SIDE
            || stride < width * 4
            || stride % 4 != 0
            || (data as usize) % 4 != 0
        {
            return None;
        }
        // SAFETY: the caller vouches for the memory; see above.
        let surface = unsafe {
            gtk::cairo::ImageSurface::create_for_data_unsafe(
                data,
                gtk::cairo::Format::Rgb24,
                width,
                height,
                stride,
            )
        }
        .ok();
        Some(Fb {
            surface,
            obj: None,
            ptr: data.cast::<u32>(),
            width,
            height,
            stride,
        })
    }

    /// A copy of the pixels with the padding byte made opaque, as texture bytes
    /// (`width * 4` a row).
    pub(super) fn opaque_copy(&self) -> Option<Vec<u8>> {
        let words = self.words();
        let (w, h) = (self.width as usize, self.height as usize);
        let row = self.stride as usize / 4;
        if words.len() < row * (h - 1) + w {
            return None;
        }
        let opaque = if cfg!(target_endian = "little") {
            0xff00_0000u32
        } else {
            0x0000_00ffu32
        };
        let mut data = pooled(w * h * 4);
        for (y, out) in data.chunks_exact_mut(w * 4).enumerate() {
            let src = &words[y * row..y * row + w];
            for (d, px) in out.chunks_exact_mut(4).zip(src) {
                d.copy_from_slice(&(px | opaque).to_ne_bytes());
            }
        }
        Some(data)
    }

    /// The pixels, as 0x00RRGGBB words, `stride / 4` a row.
    pub(super) fn words(&self) -> &[u32] {
        let n = self.stride as usize / 4 * (self.height as usize - 1) + self.width as usize;
        // SAFETY: `ptr` is 4-aligned and holds the rows (checked when made); the memory
        // lives as long as `self` (gvnc's object, or the SPICE surface until dropped).
        unsafe { std::slice::from_raw_parts(self.ptr, n) }
    }
}

impl Drop for Fb {
    fn drop(&mut self) {
        if self.obj.is_none() {
            // SPICE's memory goes away after this: cairo copies what snapshots still
            // need and never reads the memory again.
            if let Some(s) = &self.surface {
                s.finish();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spice_surface_is_taken_only_when_it_is_sane() {
        let mut mem = vec![0u32; 64 * 48];
        let p = mem.as_mut_ptr().cast::<u8>();
        // SAFETY (all calls): `mem` holds 64×48 words and outlives every Fb made here.
        let fb = unsafe { Fb::over_spice_primary(p, 64, 48, 256) }.expect("a 64×48 screen");
        assert_eq!((fb.width, fb.height), (64, 48));
        mem[47 * 64 + 63] = 0x00ff_8000;
        let copy = fb.opaque_copy().expect("pixels");
        assert_eq!(copy.len(), 64 * 48 * 4);
        let last = u32::from_ne_bytes(copy[copy.len() - 4..].try_into().unwrap());
        assert_eq!(last & 0x00ff_ffff, 0x00ff_8000, "the pixel, made opaque");
        drop(fb);
        // A surface bigger than any monitor, a stride shorter than a row, memory not
        // aligned to a pixel: refused, not read.
        assert!(unsafe { Fb::over_spice_primary(p, 20000, 2, 80000) }.is_none());
        assert!(unsafe { Fb::over_spice_primary(p, 64, 48, 200) }.is_none());
        assert!(unsafe { Fb::over_spice_primary(p.wrapping_add(1), 8, 8, 32) }.is_none());
        assert!(unsafe { Fb::over_spice_primary(p, 0, 48, 256) }.is_none());
        // Rows wider than the screen (a stride with padding) are read row by row.
        let fb = unsafe { Fb::over_spice_primary(p, 32, 48, 256) }.expect("padded rows");
        assert_eq!(fb.opaque_copy().map(|c| c.len()), Some(32 * 48 * 4));
    }
}
