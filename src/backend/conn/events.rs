//! libvirt events as plain Rust values.
//!
//! The `virt` crate has no safe wrappers for domain, network and storage-pool event
//! registration or for the connection close callback, so this module wraps the raw
//! `virt::sys` functions. Events are delivered to a sink closure on the libvirt
//! event-loop thread (see [`init_event_loop`]); the sink should do nothing more than
//! forward the value (e.g. into a channel).

use std::ffi::{c_char, c_int, c_void, CStr};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use virt::connect::Connect;
use virt::sys;

use crate::backend::{Error, Result};

/// A domain lifecycle event (`virDomainEventType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainEventKind {
    Defined,
    Undefined,
    Started,
    Suspended,
    Resumed,
    Stopped,
    Shutdown,
    PmSuspended,
    Crashed,
    Unknown(i32),
}

impl DomainEventKind {
    /// Map libvirt's raw `virDomainEventType`; values this build does not know become
    /// `Unknown`.
    pub fn from_raw(event: i32) -> Self {
        match u32::try_from(event) {
            Ok(sys::VIR_DOMAIN_EVENT_DEFINED) => Self::Defined,
            Ok(sys::VIR_DOMAIN_EVENT_UNDEFINED) => Self::Undefined,
            Ok(sys::VIR_DOMAIN_EVENT_STARTED) => Self::Started,
            Ok(sys::VIR_DOMAIN_EVENT_SUSPENDED) => Self::Suspended,
            Ok(sys::VIR_DOMAIN_EVENT_RESUMED) => Self::Resumed,
            Ok(sys::VIR_DOMAIN_EVENT_STOPPED) => Self::Stopped,
            Ok(sys::VIR_DOMAIN_EVENT_SHUTDOWN) => Self::Shutdown,
            Ok(sys::VIR_DOMAIN_EVENT_PMSUSPENDED) => Self::PmSuspended,
            Ok(sys::VIR_DOMAIN_EVENT_CRASHED) => Self::Crashed,
            _ => Self::Unknown(event),
        }
    }
}

/// A network lifecycle event (`virNetworkEventLifecycleType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkEventKind {
    Defined,
    Undefined,
    Started,
    Stopped,
    Unknown(i32),
}

impl NetworkEventKind {
    /// Map libvirt's raw `virNetworkEventLifecycleType`.
    pub fn from_raw(event: i32) -> Self {
        match u32::try_from(event) {
            Ok(sys::VIR_NETWORK_EVENT_DEFINED) => Self::Defined,
            Ok(sys::VIR_NETWORK_EVENT_UNDEFINED) => Self::Undefined,
            Ok(sys::VIR_NETWORK_EVENT_STARTED) => Self::Started,
            Ok(sys::VIR_NETWORK_EVENT_STOPPED) => Self::Stopped,
            _ => Self::Unknown(event),
        }
    }
}

/// A storage-pool lifecycle event (`virStoragePoolEventLifecycleType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolEventKind {
    Defined,
    Undefined,
    Started,
    Stopped,
    Created,
    Deleted,
    /// `VIR_STORAGE_POOL_EVENT_ID_REFRESH`: the pool was refreshed (its volumes may
    /// have changed).
    Refreshed,
    Unknown(i32),
}

impl PoolEventKind {
    /// Map libvirt's raw `virStoragePoolEventLifecycleType`.
    pub fn from_raw(event: i32) -> Self {
        match u32::try_from(event) {
            Ok(sys::VIR_STORAGE_POOL_EVENT_DEFINED) => Self::Defined,
            Ok(sys::VIR_STORAGE_POOL_EVENT_UNDEFINED) => Self::Undefined,
            Ok(sys::VIR_STORAGE_POOL_EVENT_STARTED) => Self::Started,
            Ok(sys::VIR_STORAGE_POOL_EVENT_STOPPED) => Self::Stopped,
            Ok(sys::VIR_STORAGE_POOL_EVENT_CREATED) => Self::Created,
            Ok(sys::VIR_STORAGE_POOL_EVENT_DELETED) => Self::Deleted,
            _ => Self::Unknown(event),
        }
    }
}

/// Why the connection closed (`virConnectCloseReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// Miscellaneous I/O error.
    Error,
    /// End of file from the server (daemon stopped or restarted).
    Eof,
    /// The keepalive timer ran out.
    Keepalive,
    /// The client closed the connection.
    Client,
    Unknown(i32),
}

impl CloseReason {
    /// Map libvirt's raw `virConnectCloseReason`.
    pub fn from_raw(reason: i32) -> Self {
        match u32::try_from(reason) {
            Ok(sys::VIR_CONNECT_CLOSE_REASON_ERROR) => Self::Error,
            Ok(sys::VIR_CONNECT_CLOSE_REASON_EOF) => Self::Eof,
            Ok(sys::VIR_CONNECT_CLOSE_REASON_KEEPALIVE) => Self::Keepalive,
            Ok(sys::VIR_CONNECT_CLOSE_REASON_CLIENT) => Self::Client,
            _ => Self::Unknown(reason),
        }
    }
}

/// An event from libvirt, owned and free of pointers.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A lifecycle event; `detail` is libvirt's raw detail code for that kind.
    Domain {
        uuid: String,
        name: String,
        kind: DomainEventKind,
        detail: i32,
    },
    /// Title/description/metadata changed (`VIR_DOMAIN_EVENT_ID_METADATA_CHANGE`), or a
    /// device was added/removed (`DEVICE_ADDED` / `DEVICE_REMOVED`): the domain's XML
    /// should be re-read.
    DomainChanged { uuid: String, name: String },
    /// A network lifecycle event.
    Network {
        uuid: String,
        name: String,
        kind: NetworkEventKind,
    },
    /// A storage-pool lifecycle event.
    Pool {
        uuid: String,
        name: String,
        kind: PoolEventKind,
    },
    /// The connection closed (close callback).
    Closed(CloseReason),
}

static EVENT_LOOP: OnceLock<Result<()>> = OnceLock::new();

/// Install libvirt's default event loop (GLib's default main context) and, unless the
/// application's main loop iterates that context ([`main_loop_dispatches`]), start the
/// thread that runs it.
///
/// Call once before the first `Connect::open` in the process; later calls return the
/// first call's result and do nothing else (thread-safe). The thread is named
/// `libvirt-events` and runs `virEventRunDefaultImpl` until the process exits.
pub fn init_event_loop() -> Result<()> {
    EVENT_LOOP.get_or_init(start_event_loop).clone()
}

/// Set when the GTK thread owns GLib's default main context for good (the application):
/// its main loop then dispatches libvirt's watches and timers, and no thread of ours
/// iterates the context.
static MAIN_LOOP_DISPATCHES: AtomicBool = AtomicBool::new(false);

/// Say that the calling thread's main loop iterates GLib's default main context for the
/// rest of the process (see `hangar::own_default_main_context`). Call before the first
/// connection opens.
pub fn main_loop_dispatches() {
    MAIN_LOOP_DISPATCHES.store(true, Ordering::SeqCst);
}

/// Whether [`init_event_loop`] started a thread of its own to run libvirt's events.
pub fn event_thread_running() -> bool {
    EVENT_THREAD.load(Ordering::SeqCst)
}

static EVENT_THREAD: AtomicBool = AtomicBool::new(false);

fn start_event_loop() -> Result<()> {
    virt::event::event_register_default_impl()?;
    if MAIN_LOOP_DISPATCHES.load(Ordering::SeqCst) {
        return Ok(());
    }
    EVENT_THREAD.store(true, Ordering::SeqCst);
    std::thread::Builder::new()
        .name("libvirt-events".into())
        .spawn(|| loop {
            if let Err(e) = virt::event::event_run_default_impl() {
                tracing::warn!("libvirt event loop iteration failed: {e}");
                // Do not spin if the loop keeps failing.
                std::thread::sleep(Duration::from_millis(100));
            }
        })
        .map_err(|e| Error::Io(format!("could not start the libvirt event thread: {e}")))?;
    Ok(())
}

type Sink = dyn Fn(Event) + Send + Sync;

/// The opaque pointer handed to libvirt for each event callback. Each registration owns
/// one box, freed exactly once by libvirt through [`free_callback_data`].
struct CallbackData {
    sink: Arc<Sink>,
}

impl CallbackData {
    fn deliver(&self, event: Event) {
        deliver(&self.sink, event);
    }
}

/// Call the sink without letting a panic unwind into libvirt's C stack.
fn deliver(sink: &Arc<Sink>, event: Event) {
    if catch_unwind(AssertUnwindSafe(|| sink(event))).is_err() {
        tracing::error!("a libvirt event sink panicked; the event was dropped");
    }
}

/// The opaque pointer of the close callback. It is owned by the [`Registration`] (no
/// libvirt free callback), because drivers without close-callback support accept the
/// registration and would never call a free callback.
struct CloseData {
    /// Cleared when the registration is dropped but libvirt could not confirm the
    /// unregistration; the box is then leaked (a few bytes) instead of freed.
    sink: Mutex<Option<Arc<Sink>>>,
}

/// Registered callbacks on one connection. Dropping it deregisters them all and frees
/// the sink (possibly a moment later, on the event-loop thread, if an event is being
/// dispatched at that time).
///
/// Do not drop a `Registration` from inside its own sink: libvirt holds the
/// close-callback lock while it delivers `Closed` (a deadlock), and the drop may release
/// the last reference to the connection from inside its own event dispatch. The sink
/// should only forward events (e.g. into a channel) and never block.
pub struct Registration {
    /// Our own reference to the connection (`virConnectRef`), released in `Drop`.
    conn: sys::virConnectPtr,
    domain_ids: Vec<c_int>,
    network_ids: Vec<c_int>,
    pool_ids: Vec<c_int>,
    close: Option<*mut CloseData>,
}

// SAFETY: libvirt connection objects are thread-safe and reference counted; the
// Registration only uses its pointers in `Drop`, and the callback data they point to
// contains only `Send + Sync` values (`Arc<dyn Fn + Send + Sync>` behind a Mutex).
unsafe impl Send for Registration {}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("domain_ids", &self.domain_ids)
            .field("network_ids", &self.network_ids)
            .field("pool_ids", &self.pool_ids)
            .field("close_callback", &self.close.is_some())
            .finish()
    }
}

/// Register lifecycle + metadata/device events for domains, lifecycle events for
/// networks and storage pools, and the close callback on `conn`, all delivering to
/// `sink` on the event-loop thread.
///
/// [`init_event_loop`] must have been called before `conn` was opened. Register once
/// per connection and fan out in the sink: a second `register` on the same connection
/// fails (libvirt rejects the same callback twice, "event callback already tracked",
/// and a remote connection holds only one close callback).
pub fn register(
    conn: &Connect,
    sink: impl Fn(Event) + Send + Sync + 'static,
) -> Result<Registration> {
    let sink: Arc<Sink> = Arc::new(sink);
    // SAFETY: `conn` is a live connection for the duration of this call; the pointer is
    // only used while we hold the reference taken just below.
    let ptr = unsafe { conn.as_ptr() };
    // SAFETY: `ptr` is a valid connection; virConnectRef adds a reference that
    // `Registration::drop` releases with virConnectClose.
    if unsafe { sys::virConnectRef(ptr) } < 0 {
        return Err(virt::error::Error::last_error().into());
    }
    // From here on an early return drops `reg`, which undoes what was registered.
    let mut reg = Registration {
        conn: ptr,
        domain_ids: Vec::new(),
        network_ids: Vec::new(),
        pool_ids: Vec::new(),
        close: None,
    };

    // SAFETY: (all four transmutes) libvirt calls the callback registered for an event
    // id with that id's own signature (virConnectDomainEventCallback for LIFECYCLE,
    // ...MetadataChangeCallback, ...DeviceAddedCallback, ...DeviceRemovedCallback); the
    // API takes them as the generic type and the docs require exactly this cast
    // (VIR_DOMAIN_EVENT_CALLBACK). Both sides are `unsafe extern "C"` fn pointers.
    let domain_callbacks: [(u32, DomainGenericCb); 4] = unsafe {
        [
            (
                sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                std::mem::transmute::<DomainLifecycleCb, DomainGenericCb>(domain_lifecycle_cb),
            ),
            (
                sys::VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                std::mem::transmute::<DomainMetadataCb, DomainGenericCb>(domain_metadata_cb),
            ),
            (
                sys::VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
                std::mem::transmute::<DomainDeviceCb, DomainGenericCb>(domain_device_cb),
            ),
            (
                sys::VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                std::mem::transmute::<DomainDeviceCb, DomainGenericCb>(domain_device_cb),
            ),
        ]
    };
    for (event_id, cb) in domain_callbacks {
        let id = register_any(&sink, |opaque| {
            // SAFETY: `ptr` is valid (we hold a reference); `cb` matches `event_id` (see
            // above); `opaque` is a leaked Box<CallbackData> that libvirt frees with
            // `free_callback_data` once the callback is deregistered.
            unsafe {
                sys::virConnectDomainEventRegisterAny(
                    ptr,
                    ptr::null_mut(),
                    event_id as c_int,
                    Some(cb),
                    opaque,
                    Some(free_callback_data),
                )
            }
        })?;
        reg.domain_ids.push(id);
    }

    // SAFETY: the network lifecycle callback has the signature of
    // virConnectNetworkEventLifecycleCallback, which libvirt uses for
    // VIR_NETWORK_EVENT_ID_LIFECYCLE (VIR_NETWORK_EVENT_CALLBACK cast).
    let net_cb = unsafe {
        std::mem::transmute::<NetworkLifecycleCb, NetworkGenericCb>(network_lifecycle_cb)
    };
    let id = register_any(&sink, |opaque| {
        // SAFETY: as for domains: valid connection, matching callback, owned opaque freed
        // by libvirt through `free_callback_data`.
        unsafe {
            sys::virConnectNetworkEventRegisterAny(
                ptr,
                ptr::null_mut(),
                sys::VIR_NETWORK_EVENT_ID_LIFECYCLE as c_int,
                Some(net_cb),
                opaque,
                Some(free_callback_data),
            )
        }
    })?;
    reg.network_ids.push(id);

    // SAFETY: the pool lifecycle callback has the signature of
    // virConnectStoragePoolEventLifecycleCallback, used for
    // VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE (VIR_STORAGE_POOL_EVENT_CALLBACK cast).
    let pool_cb =
        unsafe { std::mem::transmute::<PoolLifecycleCb, PoolGenericCb>(pool_lifecycle_cb) };
    let id = register_any(&sink, |opaque| {
        // SAFETY: as above.
        unsafe {
            sys::virConnectStoragePoolEventRegisterAny(
                ptr,
                ptr::null_mut(),
                sys::VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE as c_int,
                Some(pool_cb),
                opaque,
                Some(free_callback_data),
            )
        }
    })?;
    reg.pool_ids.push(id);

    // SAFETY: the refresh callback has the signature of
    // virConnectStoragePoolEventGenericCallback, used for
    // VIR_STORAGE_POOL_EVENT_ID_REFRESH.
    let id = register_any(&sink, |opaque| {
        // SAFETY: as above.
        unsafe {
            sys::virConnectStoragePoolEventRegisterAny(
                ptr,
                ptr::null_mut(),
                sys::VIR_STORAGE_POOL_EVENT_ID_REFRESH as c_int,
                Some(pool_refresh_cb),
                opaque,
                Some(free_callback_data),
            )
        }
    })?;
    reg.pool_ids.push(id);

    let close = Box::into_raw(Box::new(CloseData {
        sink: Mutex::new(Some(Arc::clone(&sink))),
    }));
    // SAFETY: `ptr` is valid; `close_cb` has the virConnectCloseFunc signature; `close`
    // stays allocated until after virConnectUnregisterCloseCallback in Drop (no free
    // callback is given to libvirt, so only we free it).
    let rc = unsafe {
        sys::virConnectRegisterCloseCallback(ptr, Some(close_cb), close.cast::<c_void>(), None)
    };
    if rc < 0 {
        let err = virt::error::Error::last_error();
        // SAFETY: registration failed, so libvirt kept no copy of `close`; we own it.
        drop(unsafe { Box::from_raw(close) });
        return Err(err.into());
    }
    reg.close = Some(close);
    Ok(reg)
}

/// Box a new `CallbackData` for `sink`, hand it to `register` and return the callback
/// id; on failure free the box (libvirt does not call the free callback when a
/// registration fails).
fn register_any(sink: &Arc<Sink>, register: impl FnOnce(*mut c_void) -> c_int) -> Result<c_int> {
    let opaque = Box::into_raw(Box::new(CallbackData {
        sink: Arc::clone(sink),
    }))
    .cast::<c_void>();
    let id = register(opaque);
    if id < 0 {
        let err = virt::error::Error::last_error();
        // SAFETY: the registration failed, so libvirt did not keep `opaque` and will
        // never call its free callback; this is the only free.
        unsafe { free_callback_data(opaque) };
        return Err(err.into());
    }
    Ok(id)
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Errors are ignored: on a dead connection deregistering may fail, but the
        // remote driver removes the local callback (and calls its free callback) before
        // it talks to the server, so nothing leaks and nothing is called later.
        for id in self.domain_ids.drain(..) {
            // SAFETY: `self.conn` is valid (we hold a reference); `id` came from
            // virConnectDomainEventRegisterAny on this connection.
            unsafe { sys::virConnectDomainEventDeregisterAny(self.conn, id) };
        }
        for id in self.network_ids.drain(..) {
            // SAFETY: as above, for a network callback id.
            unsafe { sys::virConnectNetworkEventDeregisterAny(self.conn, id) };
        }
        for id in self.pool_ids.drain(..) {
            // SAFETY: as above, for a storage-pool callback id.
            unsafe { sys::virConnectStoragePoolEventDeregisterAny(self.conn, id) };
        }
        if let Some(close) = self.close.take() {
            // SAFETY: `self.conn` is valid and `close_cb` is the callback we registered.
            let rc = unsafe { sys::virConnectUnregisterCloseCallback(self.conn, Some(close_cb)) };
            // SAFETY: `close` came from Box::into_raw in `register` and is freed only
            // here; libvirt was given no free callback for it.
            let data = unsafe { &*close };
            // Stop delivering in every case.
            *data.sink.lock().unwrap_or_else(PoisonError::into_inner) = None;
            if rc == 0 {
                // Unregistered: libvirt no longer refers to `close`, and a call in
                // progress has finished (libvirt holds the close-callback lock while it
                // runs the callback, and unregistering takes that lock).
                // SAFETY: see above; this is the only free of `close`.
                drop(unsafe { Box::from_raw(close) });
            } else {
                // libvirt may still hold the pointer (e.g. the server could not be told),
                // so keep the (now empty) box alive rather than risk a use after free.
                tracing::debug!("could not unregister the libvirt close callback");
            }
        }
        // SAFETY: releases the reference taken with virConnectRef in `register`; the
        // result is ignored so that Drop never panics.
        unsafe { sys::virConnectClose(self.conn) };
    }
}

type DomainGenericCb = unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *mut c_void);
type DomainLifecycleCb =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, c_int, c_int, *mut c_void) -> c_int;
type DomainMetadataCb =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, c_int, *const c_char, *mut c_void);
type DomainDeviceCb =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virDomainPtr, *const c_char, *mut c_void);
type NetworkGenericCb = unsafe extern "C" fn(sys::virConnectPtr, sys::virNetworkPtr, *mut c_void);
type NetworkLifecycleCb =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virNetworkPtr, c_int, c_int, *mut c_void);
type PoolGenericCb = unsafe extern "C" fn(sys::virConnectPtr, sys::virStoragePoolPtr, *mut c_void);
type PoolLifecycleCb =
    unsafe extern "C" fn(sys::virConnectPtr, sys::virStoragePoolPtr, c_int, c_int, *mut c_void);

/// libvirt's free callback for every `CallbackData`.
unsafe extern "C" fn free_callback_data(opaque: *mut c_void) {
    if !opaque.is_null() {
        // SAFETY: `opaque` was produced by Box::into_raw(Box<CallbackData>) in
        // `register_any`, and libvirt calls the free callback exactly once.
        drop(unsafe { Box::from_raw(opaque.cast::<CallbackData>()) });
    }
}

/// Read a C string libvirt owns (not freed here); NULL gives "".
///
/// # Safety
/// `s` must be NULL or point to a NUL-terminated string valid for this call.
unsafe fn borrowed_string(s: *const c_char) -> String {
    if s.is_null() {
        String::new()
    } else {
        // SAFETY: non-null and NUL-terminated per the contract above.
        unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
    }
}

/// Read a UUID string with one of libvirt's `vir*GetUUIDString` functions.
fn uuid_string(get: impl FnOnce(*mut c_char) -> c_int) -> String {
    let mut buf: [c_char; sys::VIR_UUID_STRING_BUFLEN as usize] =
        [0; sys::VIR_UUID_STRING_BUFLEN as usize];
    if get(buf.as_mut_ptr()) < 0 {
        return String::new();
    }
    // Guarantee termination even if libvirt misbehaved.
    buf[buf.len() - 1] = 0;
    // SAFETY: `buf` is NUL-terminated (last byte forced to 0 above).
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// UUID and name of the domain passed to a callback (borrowed, not freed).
///
/// # Safety
/// `dom` must be NULL or a domain pointer valid for this call.
unsafe fn domain_identity(dom: sys::virDomainPtr) -> (String, String) {
    if dom.is_null() {
        return (String::new(), String::new());
    }
    // SAFETY: `dom` is valid; the buffer is VIR_UUID_STRING_BUFLEN bytes as required.
    let uuid = uuid_string(|buf| unsafe { sys::virDomainGetUUIDString(dom, buf) });
    // SAFETY: `dom` is valid; the returned name is owned by `dom` and copied at once.
    let name = unsafe { borrowed_string(sys::virDomainGetName(dom)) };
    (uuid, name)
}

/// Borrow the `CallbackData` behind an event callback's opaque pointer.
///
/// # Safety
/// `opaque` must be a pointer registered by `register_any` whose callback has not been
/// freed yet (libvirt guarantees this while it calls the callback).
unsafe fn callback_data<'a>(opaque: *mut c_void) -> Option<&'a CallbackData> {
    // SAFETY: per the contract above, a non-null `opaque` points to a live CallbackData.
    unsafe { opaque.cast::<CallbackData>().as_ref() }
}

unsafe extern "C" fn domain_lifecycle_cb(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    event: c_int,
    detail: c_int,
    opaque: *mut c_void,
) -> c_int {
    // SAFETY: libvirt passes the opaque we registered, alive until its free callback.
    let Some(data) = (unsafe { callback_data(opaque) }) else {
        return 0;
    };
    // SAFETY: `dom` is valid for the duration of the callback.
    let (uuid, name) = unsafe { domain_identity(dom) };
    data.deliver(Event::Domain {
        uuid,
        name,
        kind: DomainEventKind::from_raw(event),
        detail,
    });
    0
}

unsafe extern "C" fn domain_metadata_cb(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    _kind: c_int,
    _nsuri: *const c_char,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt passes the opaque we registered, alive until its free callback.
    let Some(data) = (unsafe { callback_data(opaque) }) else {
        return;
    };
    // SAFETY: `dom` is valid for the duration of the callback.
    let (uuid, name) = unsafe { domain_identity(dom) };
    data.deliver(Event::DomainChanged { uuid, name });
}

unsafe extern "C" fn domain_device_cb(
    _conn: sys::virConnectPtr,
    dom: sys::virDomainPtr,
    _alias: *const c_char,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt passes the opaque we registered, alive until its free callback.
    let Some(data) = (unsafe { callback_data(opaque) }) else {
        return;
    };
    // SAFETY: `dom` is valid for the duration of the callback.
    let (uuid, name) = unsafe { domain_identity(dom) };
    data.deliver(Event::DomainChanged { uuid, name });
}

unsafe extern "C" fn network_lifecycle_cb(
    _conn: sys::virConnectPtr,
    net: sys::virNetworkPtr,
    event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt passes the opaque we registered, alive until its free callback.
    let Some(data) = (unsafe { callback_data(opaque) }) else {
        return;
    };
    let (uuid, name) = if net.is_null() {
        (String::new(), String::new())
    } else {
        (
            // SAFETY: `net` is valid for the callback; the buffer has the required size.
            uuid_string(|buf| unsafe { sys::virNetworkGetUUIDString(net, buf) }),
            // SAFETY: `net` is valid; its name is owned by `net` and copied at once.
            unsafe { borrowed_string(sys::virNetworkGetName(net)) },
        )
    };
    data.deliver(Event::Network {
        uuid,
        name,
        kind: NetworkEventKind::from_raw(event),
    });
}

unsafe extern "C" fn pool_lifecycle_cb(
    _conn: sys::virConnectPtr,
    pool: sys::virStoragePoolPtr,
    event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt passes the opaque we registered, alive until its free callback.
    let Some(data) = (unsafe { callback_data(opaque) }) else {
        return;
    };
    let (uuid, name) = if pool.is_null() {
        (String::new(), String::new())
    } else {
        (
            // SAFETY: `pool` is valid for the callback; the buffer has the required size.
            uuid_string(|buf| unsafe { sys::virStoragePoolGetUUIDString(pool, buf) }),
            // SAFETY: `pool` is valid; its name is owned by `pool` and copied at once.
            unsafe { borrowed_string(sys::virStoragePoolGetName(pool)) },
        )
    };
    data.deliver(Event::Pool {
        uuid,
        name,
        kind: PoolEventKind::from_raw(event),
    });
}

unsafe extern "C" fn pool_refresh_cb(
    _conn: sys::virConnectPtr,
    pool: sys::virStoragePoolPtr,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt passes the opaque we registered, alive until its free callback.
    let Some(data) = (unsafe { callback_data(opaque) }) else {
        return;
    };
    if pool.is_null() {
        return;
    }
    data.deliver(Event::Pool {
        // SAFETY: `pool` is valid for the callback; the buffer has the required size.
        uuid: uuid_string(|buf| unsafe { sys::virStoragePoolGetUUIDString(pool, buf) }),
        // SAFETY: `pool` is valid; its name is owned by `pool` and copied at once.
        name: unsafe { borrowed_string(sys::virStoragePoolGetName(pool)) },
        kind: PoolEventKind::Refreshed,
    });
}

unsafe extern "C" fn close_cb(_conn: sys::virConnectPtr, reason: c_int, opaque: *mut c_void) {
    // SAFETY: `opaque` is the CloseData registered in `register`; it is freed only after
    // a successful unregistration, which cannot complete while this call runs.
    let Some(data) = (unsafe { opaque.cast::<CloseData>().as_ref() }) else {
        return;
    };
    // Clone the sink and release the lock before calling it.
    let sink = data
        .sink
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    if let Some(sink) = sink {
        deliver(&sink, Event::Closed(CloseReason::from_raw(reason)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_kinds_from_raw() {
        let expected = [
            DomainEventKind::Defined,
            DomainEventKind::Undefined,
            DomainEventKind::Started,
            DomainEventKind::Suspended,
            DomainEventKind::Resumed,
            DomainEventKind::Stopped,
            DomainEventKind::Shutdown,
            DomainEventKind::PmSuspended,
            DomainEventKind::Crashed,
        ];
        for (raw, kind) in expected.iter().enumerate() {
            assert_eq!(DomainEventKind::from_raw(raw as i32), *kind, "raw {raw}");
        }
        assert_eq!(DomainEventKind::from_raw(9), DomainEventKind::Unknown(9));
        assert_eq!(DomainEventKind::from_raw(-1), DomainEventKind::Unknown(-1));
        assert_eq!(
            DomainEventKind::from_raw(i32::MAX),
            DomainEventKind::Unknown(i32::MAX)
        );
    }

    #[test]
    fn network_kinds_from_raw() {
        assert_eq!(NetworkEventKind::from_raw(0), NetworkEventKind::Defined);
        assert_eq!(NetworkEventKind::from_raw(1), NetworkEventKind::Undefined);
        assert_eq!(NetworkEventKind::from_raw(2), NetworkEventKind::Started);
        assert_eq!(NetworkEventKind::from_raw(3), NetworkEventKind::Stopped);
        assert_eq!(NetworkEventKind::from_raw(4), NetworkEventKind::Unknown(4));
        assert_eq!(
            NetworkEventKind::from_raw(-7),
            NetworkEventKind::Unknown(-7)
        );
    }

    #[test]
    fn pool_kinds_from_raw() {
        assert_eq!(PoolEventKind::from_raw(0), PoolEventKind::Defined);
        assert_eq!(PoolEventKind::from_raw(1), PoolEventKind::Undefined);
        assert_eq!(PoolEventKind::from_raw(2), PoolEventKind::Started);
        assert_eq!(PoolEventKind::from_raw(3), PoolEventKind::Stopped);
        assert_eq!(PoolEventKind::from_raw(4), PoolEventKind::Created);
        assert_eq!(PoolEventKind::from_raw(5), PoolEventKind::Deleted);
        assert_eq!(PoolEventKind::from_raw(6), PoolEventKind::Unknown(6));
        assert_eq!(PoolEventKind::from_raw(-1), PoolEventKind::Unknown(-1));
    }

    #[test]
    fn close_reasons_from_raw() {
        assert_eq!(CloseReason::from_raw(0), CloseReason::Error);
        assert_eq!(CloseReason::from_raw(1), CloseReason::Eof);
        assert_eq!(CloseReason::from_raw(2), CloseReason::Keepalive);
        assert_eq!(CloseReason::from_raw(3), CloseReason::Client);
        assert_eq!(CloseReason::from_raw(4), CloseReason::Unknown(4));
        assert_eq!(CloseReason::from_raw(-1), CloseReason::Unknown(-1));
    }

    #[test]
    fn panicking_sink_is_contained() {
        let sink: Arc<Sink> = Arc::new(|_| panic!("boom"));
        // Must not unwind out of `deliver` (which would abort inside a C callback).
        deliver(&sink, Event::Closed(CloseReason::Eof));
    }

    #[test]
    fn uuid_string_handles_failure_and_success() {
        assert_eq!(uuid_string(|_| -1), "");
        let s = uuid_string(|buf| {
            let text = b"c7a5fdbd-cdaf-9455-926a-d65c16db1809\0";
            for (i, b) in text.iter().enumerate() {
                // SAFETY: the buffer has VIR_UUID_STRING_BUFLEN (37) bytes = text.len().
                unsafe { *buf.add(i) = *b as c_char };
            }
            0
        });
        assert_eq!(s, "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    }
}
