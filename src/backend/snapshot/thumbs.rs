//! A picture of the screen at each snapshot: taken with `virDomainScreenshot` just
//! before the snapshot, scaled down and kept as PNG in Hangar's cache directory under
//! the domain's UUID (`~/.cache/hangar/snapshots/UUID/NAME.png`), removed with the
//! snapshot. Cairo decodes and scales (no GTK here).

use std::path::{Path, PathBuf};

use crate::backend::{Error, Result};

/// The widest a thumbnail is, in pixels.
pub const THUMB_WIDTH: usize = 256;

/// An RGB picture, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<[u8; 3]>,
}

/// Where the thumbnails of every domain live (`$XDG_CACHE_HOME/hangar/snapshots`).
pub fn root() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("hangar").join("snapshots")
}

/// A name as a file name: `/`, `%`, control characters and a leading `.` escaped.
fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            c if c.is_control() => out.push_str(&format!("%{:02X}", c as u32 & 0xff)),
            c => out.push(c),
        }
    }
    if out.starts_with('.') {
        out.replace_range(0..1, "%2E");
    }
    out
}

fn file_name(name: &str) -> String {
    format!("{}.png", escape(name))
}

/// The thumbnail of snapshot `name` of domain `uuid` (it may not exist).
pub fn path(uuid: &str, name: &str) -> PathBuf {
    root().join(escape(uuid)).join(file_name(name))
}

/// Decode a screenshot as libvirt gives it: PPM (QEMU) or PNG.
pub fn decode(mime: &str, bytes: &[u8]) -> Result<Rgb> {
    if bytes.starts_with(b"P6") {
        return decode_ppm(bytes);
    }
    if bytes.starts_with(b"\x89PNG") || mime == "image/png" {
        let surface = cairo::ImageSurface::create_from_png(&mut std::io::Cursor::new(bytes))
            .map_err(|e| Error::InvalidInput(format!("the screenshot does not decode: {e}")))?;
        return Ok(from_surface(surface));
    }
    Err(Error::Unsupported(format!("screenshots of type {mime}")))
}

fn decode_ppm(data: &[u8]) -> Result<Rgb> {
    let bad = || Error::InvalidInput("a malformed PPM screenshot".into());
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 && i < data.len() {
        while i < data.len() && data[i].is_ascii_whitespace() {
            i += 1;
        }
        if data.get(i) == Some(&b'#') {
            while i < data.len() && data[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < data.len() && !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    i += 1;
    if fields.len() < 4 || fields[3] != "255" {
        return Err(bad());
    }
    let width: usize = fields[1].parse().map_err(|_| bad())?;
    let height: usize = fields[2].parse().map_err(|_| bad())?;
    let pixels: Vec<[u8; 3]> = data
        .get(i..)
        .ok_or_else(bad)?
        .chunks_exact(3)
        .take(width * height)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    if pixels.len() != width * height {
        return Err(bad());
    }
    Ok(Rgb {
        width,
        height,
        pixels,
    })
}

fn from_surface(mut s: cairo::ImageSurface) -> Rgb {
    s.flush();
    let (width, height, stride) = (s.width() as usize, s.height() as usize, s.stride() as usize);
    let mut pixels = Vec::with_capacity(width * height);
    if let Ok(data) = s.data() {
        for y in 0..height {
            for x in 0..width {
                let o = y * stride + x * 4;
                // ARGB32 in native byte order; opaque screens need no un-premultiplying.
                let v = u32::from_ne_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]]);
                pixels.push([(v >> 16) as u8, (v >> 8) as u8, v as u8]);
            }
        }
    }
    Rgb {
        width,
        height,
        pixels,
    }
}

fn to_surface(img: &Rgb) -> Result<cairo::ImageSurface> {
    let mut s =
        cairo::ImageSurface::create(cairo::Format::Rgb24, img.width as i32, img.height as i32)
            .map_err(|e| Error::Io(e.to_string()))?;
    let stride = s.stride() as usize;
    {
        let mut data = s.data().map_err(|e| Error::Io(e.to_string()))?;
        for y in 0..img.height {
            for x in 0..img.width {
                let [r, g, b] = img.pixels[y * img.width + x];
                let v = 0xff00_0000u32 | (r as u32) << 16 | (g as u32) << 8 | b as u32;
                let o = y * stride + x * 4;
                data[o..o + 4].copy_from_slice(&v.to_ne_bytes());
            }
        }
    }
    Ok(s)
}

/// `img` scaled to at most [`THUMB_WIDTH`] wide, keeping its proportions.
pub fn scaled(img: &Rgb) -> Result<Rgb> {
    if img.width <= THUMB_WIDTH || img.width == 0 {
        return Ok(img.clone());
    }
    let w = THUMB_WIDTH;
    let h = ((img.height * w) as f64 / img.width as f64)
        .round()
        .max(1.0) as usize;
    let src = to_surface(img)?;
    let dst = cairo::ImageSurface::create(cairo::Format::Rgb24, w as i32, h as i32)
        .map_err(|e| Error::Io(e.to_string()))?;
    {
        let cr = cairo::Context::new(&dst).map_err(|e| Error::Io(e.to_string()))?;
        cr.scale(w as f64 / img.width as f64, h as f64 / img.height as f64);
        cr.set_source_surface(&src, 0.0, 0.0)
            .map_err(|e| Error::Io(e.to_string()))?;
        cr.source().set_filter(cairo::Filter::Good);
        cr.paint().map_err(|e| Error::Io(e.to_string()))?;
    }
    Ok(from_surface(dst))
}

/// Read a stored thumbnail back.
pub fn load(path: &Path) -> Result<Rgb> {
    let bytes = std::fs::read(path).map_err(|e| Error::Io(e.to_string()))?;
    decode("image/png", &bytes)
}

/// Keep a screenshot as the thumbnail of snapshot `name`.
pub fn store(uuid: &str, name: &str, mime: &str, bytes: &[u8]) -> Result<PathBuf> {
    let small = scaled(&decode(mime, bytes)?)?;
    let p = path(uuid, name);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io(e.to_string()))?;
    }
    let surface = to_surface(&small)?;
    let mut file = std::fs::File::create(&p).map_err(|e| Error::Io(e.to_string()))?;
    surface
        .write_to_png(&mut file)
        .map_err(|e| Error::Io(e.to_string()))?;
    Ok(p)
}

/// Remove the thumbnails of snapshots of `uuid` not in `keep` (after a delete, and
/// for snapshots deleted outside Hangar).
pub fn prune(uuid: &str, keep: &[String]) {
    let dir = root().join(escape(uuid));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let wanted: std::collections::HashSet<String> = keep.iter().map(|n| file_name(n)).collect();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".png") && !wanted.contains(&name) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Move a thumbnail along with a renamed snapshot.
pub fn rename(uuid: &str, from: &str, to: &str) {
    let _ = std::fs::rename(path(uuid, from), path(uuid, to));
}

/// Mean absolute difference (0–255) of two pictures of the same size; `None` when
/// their sizes differ.
pub fn mean_diff(a: &Rgb, b: &Rgb) -> Option<f64> {
    if (a.width, a.height) != (b.width, b.height) || a.pixels.is_empty() {
        return None;
    }
    let sum: u64 = a
        .pixels
        .iter()
        .zip(&b.pixels)
        .map(|(x, y)| {
            (0..3)
                .map(|c| (x[c] as i32 - y[c] as i32).unsigned_abs() as u64)
                .sum::<u64>()
        })
        .sum();
    Some(sum as f64 / (a.pixels.len() * 3) as f64)
}
