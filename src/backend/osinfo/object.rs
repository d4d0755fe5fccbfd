//! Safe wrappers over libosinfo's GObjects (`glib::wrapper!`), one method per C call
//! that Hangar makes. They are `!Send`: libosinfo's objects are not thread-safe, so a
//! database is loaded and queried on one thread (see `worker.rs`) and only plain Rust
//! data leaves it.
//!
//! Every string getter copies the string out (transfer none in the C API) and maps NULL
//! to `None`; every list getter takes ownership as the C API's annotation says (noted
//! at each call).

use std::ffi::c_char;
use std::ptr;

use glib::prelude::*;
use glib::translate::*;

use super::ffi;

glib::wrapper! {
    /// `OsinfoLoader`: reads the database files.
    pub struct Loader(Object<ffi::OsinfoLoader>);
    match fn { type_ => || ffi::osinfo_loader_get_type(), }
}

glib::wrapper! {
    /// `OsinfoDb`: the loaded database (owned by its loader).
    pub struct Db(Object<ffi::OsinfoDb>);
    match fn { type_ => || ffi::osinfo_db_get_type(), }
}

glib::wrapper! {
    /// `OsinfoEntity`: anything with an id and parameters.
    pub struct Entity(Object<ffi::OsinfoEntity>);
    match fn { type_ => || ffi::osinfo_entity_get_type(), }
}

glib::wrapper! {
    /// `OsinfoProduct`: an entity with names, versions and dates.
    pub struct Product(Object<ffi::OsinfoProduct>) @extends Entity;
    match fn { type_ => || ffi::osinfo_product_get_type(), }
}

glib::wrapper! {
    /// `OsinfoOs`: an operating system.
    pub struct Os(Object<ffi::OsinfoOs>) @extends Product, Entity;
    match fn { type_ => || ffi::osinfo_os_get_type(), }
}

glib::wrapper! {
    /// `OsinfoOsVariant`: an edition of an OS (Server, Workstation…).
    pub struct OsVariant(Object<ffi::OsinfoOsVariant>) @extends Entity;
    match fn { type_ => || ffi::osinfo_os_variant_get_type(), }
}

glib::wrapper! {
    /// `OsinfoMedia`: an installation or live disc image.
    pub struct Media(Object<ffi::OsinfoMedia>) @extends Entity;
    match fn { type_ => || ffi::osinfo_media_get_type(), }
}

glib::wrapper! {
    /// `OsinfoTree`: an installation tree (a `.treeinfo` at a URL).
    pub struct Tree(Object<ffi::OsinfoTree>) @extends Entity;
    match fn { type_ => || ffi::osinfo_tree_get_type(), }
}

glib::wrapper! {
    /// `OsinfoList` and its subclasses (`OsinfoOsList`, `OsinfoMediaList`…).
    pub struct List(Object<ffi::OsinfoList>);
    match fn { type_ => || ffi::osinfo_list_get_type(), }
}

glib::wrapper! {
    /// `OsinfoResources`: CPU, RAM and storage figures for one architecture.
    pub struct Resources(Object<ffi::OsinfoResources>) @extends Entity;
    match fn { type_ => || ffi::osinfo_resources_get_type(), }
}

glib::wrapper! {
    /// `OsinfoDevice`: a virtual device an OS has drivers for.
    pub struct Device(Object<ffi::OsinfoDevice>) @extends Entity;
    match fn { type_ => || ffi::osinfo_device_get_type(), }
}

glib::wrapper! {
    /// `OsinfoFirmware`: BIOS or EFI, supported or not, per architecture.
    pub struct Firmware(Object<ffi::OsinfoFirmware>) @extends Entity;
    match fn { type_ => || ffi::osinfo_firmware_get_type(), }
}

glib::wrapper! {
    /// `OsinfoInstallScript`: an unattended-install template.
    pub struct InstallScript(Object<ffi::OsinfoInstallScript>) @extends Entity;
    match fn { type_ => || ffi::osinfo_install_script_get_type(), }
}

glib::wrapper! {
    /// `OsinfoInstallConfig`: the answers given to an install script.
    pub struct InstallConfig(Object<ffi::OsinfoInstallConfig>) @extends Entity;
    match fn { type_ => || ffi::osinfo_install_config_get_type(), }
}

glib::wrapper! {
    /// `OsinfoInstallConfigParam`: a parameter an install script reads.
    pub struct InstallConfigParam(Object<ffi::OsinfoInstallConfigParam>) @extends Entity;
    match fn { type_ => || ffi::osinfo_install_config_param_get_type(), }
}

/// Copies a borrowed C string (transfer none); NULL and "" are `None`.
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string that lives for this call.
unsafe fn opt_string(p: *const c_char) -> Option<String> {
    // SAFETY: the caller guarantees `p` is NULL or a valid C string.
    let s: Option<String> = unsafe { from_glib_none(p) };
    s.filter(|s| !s.is_empty())
}

/// Copies the strings of a `GList` of `const gchar*` returned with transfer container,
/// then frees the list (not the strings, which the list's owner keeps).
///
/// # Safety
/// `list` is NULL or a `GList` whose data are valid C strings, owned by the caller.
unsafe fn string_list_container(list: *mut glib::ffi::GList) -> Vec<String> {
    let mut out = Vec::new();
    let mut node = list;
    while !node.is_null() {
        // SAFETY: `node` is a valid list node (non-NULL, from the list the caller owns).
        let (data, next) = unsafe { ((*node).data, (*node).next) };
        // SAFETY: the list's data are C strings owned by the entity, alive here.
        if let Some(s) = unsafe { opt_string(data as *const c_char) } {
            out.push(s);
        }
        node = next;
    }
    // SAFETY: transfer container: the list cells are ours to free, the data are not.
    unsafe { glib::ffi::g_list_free(list) };
    out
}

/// The elements of a list returned with transfer full (NULL: none), as `T`.
///
/// # Safety
/// `list` is NULL or an `OsinfoList` the caller owns.
unsafe fn take_list<T: IsA<Entity>>(list: *mut ffi::OsinfoList) -> Vec<T> {
    // SAFETY: ownership of the list passes to the wrapper, dropped after copying.
    let list: Option<List> = unsafe { from_glib_full(list) };
    list.map(|l| l.items()).unwrap_or_default()
}

/// Takes ownership of a GError filled by a C call.
///
/// # Safety
/// `err` is NULL or a GError the caller owns.
unsafe fn take_error(err: *mut glib::ffi::GError) -> Option<glib::Error> {
    if err.is_null() {
        None
    } else {
        // SAFETY: a non-NULL GError returned to us is ours (transfer full).
        Some(unsafe { from_glib_full(err) })
    }
}

/// `pub fn $name(&self) -> Option<String>` over a C getter of a borrowed string.
macro_rules! str_getter {
    ($(#[$m:meta])* $name:ident, $f:path) => {
        $(#[$m])*
        pub fn $name(&self) -> Option<String> {
            // SAFETY: `self` is a live object of the type the C function takes; the
            // string is borrowed (transfer none) and copied before anything else runs.
            unsafe { opt_string($f(self.to_glib_none().0)) }
        }
    };
}

/// `pub fn $name(&self) -> Vec<$t>` over a C getter of a new list (transfer full).
macro_rules! list_getter {
    ($(#[$m:meta])* $name:ident, $t:ty, $f:path) => {
        $(#[$m])*
        pub fn $name(&self) -> Vec<$t> {
            // SAFETY: `self` is a live object of the type the C function takes; the
            // list it returns is new and ours (transfer full), or NULL.
            unsafe { take_list($f(self.to_glib_none().0)) }
        }
    };
}

/// `pub fn $name(&self) -> bool` over a C getter of a gboolean.
macro_rules! bool_getter {
    ($(#[$m:meta])* $name:ident, $f:path) => {
        $(#[$m])*
        pub fn $name(&self) -> bool {
            // SAFETY: `self` is a live object of the type the C function takes.
            unsafe { from_glib($f(self.to_glib_none().0)) }
        }
    };
}

/// Takes a new object (transfer full) or the error that came instead.
///
/// # Safety
/// `obj` is NULL or a new reference of type `T` we own; `err` is NULL or a GError we
/// own.
unsafe fn take_new<T, P: 'static>(
    obj: *mut P,
    err: *mut glib::ffi::GError,
) -> Result<T, glib::Error>
where
    T: ObjectType + FromGlibPtrFull<*mut P>,
{
    // SAFETY: ownership of both passes to the wrappers, per the caller's contract.
    unsafe {
        let obj: Option<T> = from_glib_full(obj);
        match (take_error(err), obj) {
            (Some(e), _) => Err(e),
            (None, Some(o)) => Ok(o),
            (None, None) => Err(glib::Error::new(
                gio::IOErrorEnum::Failed,
                "libosinfo returned nothing",
            )),
        }
    }
}

/// Runs `f` with a main context of its own as the thread's default when the thread has
/// none. libosinfo's synchronous calls (media and tree detection, script generation)
/// spin a main loop on the thread-default context; without one they would run the
/// global default context, the one GTK's main thread owns, and wait for it or dispatch
/// its sources on this thread.
pub fn with_private_context<R>(f: impl FnOnce() -> R) -> R {
    if glib::MainContext::thread_default().is_some() {
        return f();
    }
    let ctx = glib::MainContext::new();
    let mut f = Some(f);
    let mut out = None;
    // A fresh context is never owned by another thread, so pushing it cannot fail; if
    // it ever did, `f` still runs below.
    let _ = ctx.with_thread_default(|| {
        if let Some(f) = f.take() {
            out = Some(f());
        }
    });
    match (out, f) {
        (Some(r), _) => r,
        (None, Some(f)) => f(),
        (None, None) => unreachable!("the closure ran but gave nothing back"),
    }
}

/// Methods of every libosinfo entity.
pub trait EntityExt: IsA<Entity> {
    /// The entity's id (for an OS, its URI: `http://fedoraproject.org/fedora/37`).
    fn id(&self) -> String {
        // SAFETY: `self` is a live OsinfoEntity; the id is borrowed (transfer none).
        unsafe { opt_string(ffi::osinfo_entity_get_id(self.as_ref().to_glib_none().0)) }
            .unwrap_or_default()
    }

    /// Sets a parameter (replacing its values).
    fn set_param(&self, key: &str, value: &str) {
        // SAFETY: live entity; libosinfo copies key and value.
        unsafe {
            ffi::osinfo_entity_set_param(
                self.as_ref().to_glib_none().0,
                key.to_glib_none().0,
                value.to_glib_none().0,
            )
        }
    }
}

impl<O: IsA<Entity>> EntityExt for O {}

/// Methods of products (operating systems here).
pub trait ProductExt: IsA<Product> {
    fn short_id(&self) -> Option<String> {
        // SAFETY: live product; borrowed string.
        unsafe {
            opt_string(ffi::osinfo_product_get_short_id(
                self.as_ref().to_glib_none().0,
            ))
        }
    }

    /// Every short id (an OS can have several: `ubuntu22.04`, `ubuntu-lts-latest`).
    fn short_ids(&self) -> Vec<String> {
        // SAFETY: live product; the GList comes with transfer container.
        unsafe {
            string_list_container(ffi::osinfo_product_get_short_id_list(
                self.as_ref().to_glib_none().0,
            ))
        }
    }

    fn name(&self) -> Option<String> {
        // SAFETY: live product; borrowed string.
        unsafe { opt_string(ffi::osinfo_product_get_name(self.as_ref().to_glib_none().0)) }
    }

    fn vendor(&self) -> Option<String> {
        // SAFETY: live product; borrowed string.
        unsafe {
            opt_string(ffi::osinfo_product_get_vendor(
                self.as_ref().to_glib_none().0,
            ))
        }
    }

    fn version(&self) -> Option<String> {
        // SAFETY: live product; borrowed string.
        unsafe {
            opt_string(ffi::osinfo_product_get_version(
                self.as_ref().to_glib_none().0,
            ))
        }
    }

    fn codename(&self) -> Option<String> {
        // SAFETY: live product; borrowed string.
        unsafe {
            opt_string(ffi::osinfo_product_get_codename(
                self.as_ref().to_glib_none().0,
            ))
        }
    }

    fn release_date(&self) -> Option<String> {
        // SAFETY: live product; borrowed string.
        unsafe {
            opt_string(ffi::osinfo_product_get_release_date_string(
                self.as_ref().to_glib_none().0,
            ))
        }
    }

    fn eol_date(&self) -> Option<String> {
        // SAFETY: live product; borrowed string.
        unsafe {
            opt_string(ffi::osinfo_product_get_eol_date_string(
                self.as_ref().to_glib_none().0,
            ))
        }
    }

    /// The products this one derives from (directly).
    fn derives_from(&self) -> Vec<Entity> {
        // SAFETY: live product; the list comes with transfer full.
        unsafe {
            take_list(ffi::osinfo_product_get_related(
                self.as_ref().to_glib_none().0,
                ffi::OSINFO_PRODUCT_RELATIONSHIP_DERIVES_FROM,
            ))
        }
    }
}

impl<O: IsA<Product>> ProductExt for O {}

impl Loader {
    pub fn new() -> Loader {
        // SAFETY: returns a new object (transfer full).
        unsafe { from_glib_full(ffi::osinfo_loader_new()) }
    }

    /// The system database, `/etc/osinfo` and `~/.config/osinfo` (or the `OSINFO_*`
    /// directories that override them), in that order.
    pub fn process_default_path(&self) -> Result<(), glib::Error> {
        let mut err = ptr::null_mut();
        // SAFETY: live loader; `err` is an out pointer we own afterwards.
        unsafe {
            ffi::osinfo_loader_process_default_path(self.to_glib_none().0, &mut err);
            take_error(err).map_or(Ok(()), Err)
        }
    }

    /// The system database only (`OSINFO_SYSTEM_DIR` or `/usr/share/osinfo`).
    pub fn process_system_path(&self) -> Result<(), glib::Error> {
        let mut err = ptr::null_mut();
        // SAFETY: as above.
        unsafe {
            ffi::osinfo_loader_process_system_path(self.to_glib_none().0, &mut err);
            take_error(err).map_or(Ok(()), Err)
        }
    }

    /// One more database directory (or file).
    pub fn process_path(&self, path: &str) -> Result<(), glib::Error> {
        let mut err = ptr::null_mut();
        // SAFETY: as above; the path is copied for the call.
        unsafe {
            ffi::osinfo_loader_process_path(self.to_glib_none().0, path.to_glib_none().0, &mut err);
            take_error(err).map_or(Ok(()), Err)
        }
    }

    pub fn db(&self) -> Db {
        // SAFETY: the db belongs to the loader (transfer none): take a reference.
        unsafe { from_glib_none(ffi::osinfo_loader_get_db(self.to_glib_none().0)) }
    }
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

impl Db {
    list_getter!(os_list, Os, ffi::osinfo_db_get_os_list);

    pub fn os(&self, id: &str) -> Option<Os> {
        // SAFETY: live db; the OS is the db's (transfer none), NULL when unknown.
        unsafe {
            from_glib_none(ffi::osinfo_db_get_os(
                self.to_glib_none().0,
                id.to_glib_none().0,
            ))
        }
    }

    /// Fills `media` with what the first matching media of the database says (OS,
    /// variants, install scripts, paths); false when nothing matches.
    pub fn identify_media(&self, media: &Media) -> bool {
        // SAFETY: live db and media.
        unsafe {
            from_glib(ffi::osinfo_db_identify_media(
                self.to_glib_none().0,
                media.to_glib_none().0,
            ))
        }
    }

    /// Every media of the database that matches `media`, preferred matches first.
    pub fn identify_medialist(&self, media: &Media) -> Vec<Media> {
        // SAFETY: live db and media; new list (transfer full).
        unsafe {
            take_list(ffi::osinfo_db_identify_medialist(
                self.to_glib_none().0,
                media.to_glib_none().0,
            ))
        }
    }

    pub fn identify_tree(&self, tree: &Tree) -> bool {
        // SAFETY: live db and tree.
        unsafe {
            from_glib(ffi::osinfo_db_identify_tree(
                self.to_glib_none().0,
                tree.to_glib_none().0,
            ))
        }
    }

    pub fn identify_treelist(&self, tree: &Tree) -> Vec<Tree> {
        // SAFETY: live db and tree; new list (transfer full).
        unsafe {
            take_list(ffi::osinfo_db_identify_treelist(
                self.to_glib_none().0,
                tree.to_glib_none().0,
            ))
        }
    }
}

impl List {
    pub fn len(&self) -> usize {
        // SAFETY: live list.
        let n = unsafe { ffi::osinfo_list_get_length(self.to_glib_none().0) };
        usize::try_from(n).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements that are of type `T` (all of them, for a list of that type).
    pub fn items<T: IsA<Entity>>(&self) -> Vec<T> {
        let n = self.len();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let Ok(i) = i32::try_from(i) else { break };
            // SAFETY: `i` is within the list; the element is borrowed (transfer none),
            // `from_glib_none` takes a reference of our own.
            let e: Option<Entity> =
                unsafe { from_glib_none(ffi::osinfo_list_get_nth(self.to_glib_none().0, i)) };
            if let Some(t) = e.and_then(|e| e.downcast::<T>().ok()) {
                out.push(t);
            }
        }
        out
    }
}

impl Os {
    str_getter!(family, ffi::osinfo_os_get_family);

    str_getter!(distro, ffi::osinfo_os_get_distro);

    /// `OsinfoReleaseStatus` as its C value.
    pub fn release_status(&self) -> i32 {
        // SAFETY: live OS.
        unsafe { ffi::osinfo_os_get_release_status(self.to_glib_none().0) }
    }

    list_getter!(media_list, Media, ffi::osinfo_os_get_media_list);

    list_getter!(tree_list, Tree, ffi::osinfo_os_get_tree_list);

    /// Supported devices, inherited from the OSes this one derives from, less those it
    /// marks unsupported.
    pub fn all_devices(&self) -> Vec<Device> {
        // SAFETY: live OS; NULL filter allowed; new list (transfer full).
        unsafe {
            take_list(ffi::osinfo_os_get_all_devices(
                self.to_glib_none().0,
                ptr::null_mut(),
            ))
        }
    }

    list_getter!(
        minimum_resources,
        Resources,
        ffi::osinfo_os_get_minimum_resources
    );

    list_getter!(
        recommended_resources,
        Resources,
        ffi::osinfo_os_get_recommended_resources
    );

    list_getter!(
        maximum_resources,
        Resources,
        ffi::osinfo_os_get_maximum_resources
    );

    list_getter!(
        network_install_resources,
        Resources,
        ffi::osinfo_os_get_network_install_resources
    );

    list_getter!(
        install_script_list,
        InstallScript,
        ffi::osinfo_os_get_install_script_list
    );

    /// Firmware entries of this OS and of those it derives from.
    pub fn complete_firmware_list(&self) -> Vec<Firmware> {
        // SAFETY: live OS; NULL filter allowed; new list (transfer full).
        unsafe {
            take_list(ffi::osinfo_os_get_complete_firmware_list(
                self.to_glib_none().0,
                ptr::null_mut(),
            ))
        }
    }

    str_getter!(kernel_url_argument, ffi::osinfo_os_get_kernel_url_argument);

    list_getter!(variant_list, OsVariant, ffi::osinfo_os_get_variant_list);
}

impl OsVariant {
    str_getter!(name, ffi::osinfo_os_variant_get_name);
}

impl Resources {
    str_getter!(architecture, ffi::osinfo_resources_get_architecture);

    /// -1 when the database does not say.
    pub fn n_cpus(&self) -> i32 {
        // SAFETY: live resources.
        unsafe { ffi::osinfo_resources_get_n_cpus(self.to_glib_none().0) }
    }

    /// Hz; -1 when the database does not say.
    pub fn cpu(&self) -> i64 {
        // SAFETY: live resources.
        unsafe { ffi::osinfo_resources_get_cpu(self.to_glib_none().0) }
    }

    /// Bytes; -1 when the database does not say.
    pub fn ram(&self) -> i64 {
        // SAFETY: live resources.
        unsafe { ffi::osinfo_resources_get_ram(self.to_glib_none().0) }
    }

    /// Bytes; -1 when the database does not say.
    pub fn storage(&self) -> i64 {
        // SAFETY: live resources.
        unsafe { ffi::osinfo_resources_get_storage(self.to_glib_none().0) }
    }
}

impl Device {
    str_getter!(name, ffi::osinfo_device_get_name);

    str_getter!(class, ffi::osinfo_device_get_class);

    str_getter!(bus_type, ffi::osinfo_device_get_bus_type);
}

impl Firmware {
    str_getter!(architecture, ffi::osinfo_firmware_get_architecture);

    str_getter!(
        /// `bios` or `efi`.
        firmware_type, ffi::osinfo_firmware_get_firmware_type
    );

    bool_getter!(is_supported, ffi::osinfo_firmware_is_supported);
}

impl Media {
    /// Reads the volume descriptors of an ISO image (a local path or a URL; Hangar
    /// passes local paths only). Does not require an El Torito record: whether there is
    /// one is [`Media::is_bootable`].
    pub fn create_from_location(
        location: &str,
        cancellable: Option<&gio::Cancellable>,
    ) -> Result<Media, glib::Error> {
        with_private_context(|| {
            let mut err = ptr::null_mut();
            // SAFETY: the location is copied for the call, the cancellable (if any) is
            // alive for it; the result is new (transfer full) or NULL with `err` set.
            unsafe {
                let m = ffi::osinfo_media_create_from_location_with_flags(
                    location.to_glib_none().0,
                    cancellable.map_or(ptr::null_mut(), |c| c.to_glib_none().0),
                    0,
                    &mut err,
                );
                take_new(m, err)
            }
        })
    }

    /// The OS the database matched, after [`Db::identify_media`].
    pub fn os(&self) -> Option<Os> {
        // SAFETY: live media; the OS comes with transfer full (or NULL).
        unsafe { from_glib_full(ffi::osinfo_media_get_os(self.to_glib_none().0)) }
    }

    str_getter!(volume_id, ffi::osinfo_media_get_volume_id);

    str_getter!(system_id, ffi::osinfo_media_get_system_id);

    str_getter!(publisher_id, ffi::osinfo_media_get_publisher_id);

    str_getter!(application_id, ffi::osinfo_media_get_application_id);

    str_getter!(architecture, ffi::osinfo_media_get_architecture);

    bool_getter!(live, ffi::osinfo_media_get_live);

    bool_getter!(installer, ffi::osinfo_media_get_installer);

    /// -1 when the database does not say.
    pub fn installer_reboots(&self) -> i32 {
        // SAFETY: live media.
        unsafe { ffi::osinfo_media_get_installer_reboots(self.to_glib_none().0) }
    }

    bool_getter!(
        eject_after_install,
        ffi::osinfo_media_get_eject_after_install
    );

    bool_getter!(is_bootable, ffi::osinfo_media_is_bootable);

    bool_getter!(
        supports_installer_script,
        ffi::osinfo_media_supports_installer_script
    );

    list_getter!(
        install_script_list,
        InstallScript,
        ffi::osinfo_media_get_install_script_list
    );

    str_getter!(kernel_path, ffi::osinfo_media_get_kernel_path);

    str_getter!(initrd_path, ffi::osinfo_media_get_initrd_path);

    list_getter!(os_variants, OsVariant, ffi::osinfo_media_get_os_variants);

    pub fn languages(&self) -> Vec<String> {
        // SAFETY: live media; the GList comes with transfer container.
        unsafe { string_list_container(ffi::osinfo_media_get_languages(self.to_glib_none().0)) }
    }
}

impl Tree {
    /// Reads `.treeinfo` (or `treeinfo`) under `location`: `file://`, `http://`,
    /// `https://` or `ftp://`. Only tests pass `file://` here; the wizard passes what
    /// the person typed.
    pub fn create_from_location(
        location: &str,
        cancellable: Option<&gio::Cancellable>,
    ) -> Result<Tree, glib::Error> {
        with_private_context(|| {
            let mut err = ptr::null_mut();
            // SAFETY: as for media: copied location, live cancellable, transfer full.
            unsafe {
                let t = ffi::osinfo_tree_create_from_location(
                    location.to_glib_none().0,
                    cancellable.map_or(ptr::null_mut(), |c| c.to_glib_none().0),
                    &mut err,
                );
                take_new(t, err)
            }
        })
    }

    pub fn os(&self) -> Option<Os> {
        // SAFETY: live tree; the OS comes with transfer full (or NULL).
        unsafe { from_glib_full(ffi::osinfo_tree_get_os(self.to_glib_none().0)) }
    }

    str_getter!(architecture, ffi::osinfo_tree_get_architecture);

    str_getter!(url, ffi::osinfo_tree_get_url);

    str_getter!(kernel_path, ffi::osinfo_tree_get_kernel_path);

    str_getter!(initrd_path, ffi::osinfo_tree_get_initrd_path);

    str_getter!(boot_iso_path, ffi::osinfo_tree_get_boot_iso_path);

    str_getter!(treeinfo_family, ffi::osinfo_tree_get_treeinfo_family);

    str_getter!(treeinfo_version, ffi::osinfo_tree_get_treeinfo_version);

    str_getter!(treeinfo_arch, ffi::osinfo_tree_get_treeinfo_arch);

    str_getter!(treeinfo_variant, ffi::osinfo_tree_get_treeinfo_variant);

    list_getter!(os_variants, OsVariant, ffi::osinfo_tree_get_os_variants);
}

impl InstallScript {
    str_getter!(
        /// `desktop` or `jeos`.
        profile, ffi::osinfo_install_script_get_profile
    );

    /// `OsinfoInstallScriptInjectionMethod` flags.
    pub fn injection_methods(&self) -> u32 {
        // SAFETY: live script.
        unsafe { ffi::osinfo_install_script_get_injection_methods(self.to_glib_none().0) }
    }

    str_getter!(
        product_key_format,
        ffi::osinfo_install_script_get_product_key_format
    );

    str_getter!(
        expected_filename,
        ffi::osinfo_install_script_get_expected_filename
    );

    /// Whether the template has a `/command-line` template: without one, libosinfo's
    /// command-line generation returns the text of the whole template.
    pub fn has_command_line(&self) -> bool {
        // SAFETY: live script; the template text is borrowed (transfer none).
        let data = unsafe {
            opt_string(ffi::osinfo_install_script_get_template_data(
                self.to_glib_none().0,
            ))
        };
        data.is_some_and(|t| t.contains("match=\"/command-line\""))
    }

    bool_getter!(
        needs_internet,
        ffi::osinfo_install_script_get_needs_internet
    );

    /// True for DOS paths (Windows scripts).
    pub fn dos_paths(&self) -> bool {
        // SAFETY: live script.
        unsafe {
            ffi::osinfo_install_script_get_path_format(self.to_glib_none().0)
                == ffi::OSINFO_PATH_FORMAT_DOS
        }
    }

    bool_getter!(
        can_pre_install_drivers,
        ffi::osinfo_install_script_get_can_pre_install_drivers
    );

    bool_getter!(
        can_post_install_drivers,
        ffi::osinfo_install_script_get_can_post_install_drivers
    );

    /// The parameters the script reads: (name, required).
    pub fn config_params(&self) -> Vec<(String, bool)> {
        // SAFETY: live script; the GList comes with transfer container: its cells are
        // ours, its params are the script's (transfer none).
        unsafe {
            let list = ffi::osinfo_install_script_get_config_param_list(self.to_glib_none().0);
            let mut out = Vec::new();
            let mut node = list;
            while !node.is_null() {
                let data = (*node).data as *mut ffi::OsinfoInstallConfigParam;
                if !data.is_null() {
                    if let Some(name) = opt_string(ffi::osinfo_install_config_param_get_name(data))
                    {
                        let required = ffi::osinfo_install_config_param_get_policy(data)
                            == ffi::OSINFO_INSTALL_CONFIG_PARAM_POLICY_REQUIRED;
                        out.push((name, required));
                    }
                }
                node = (*node).next;
            }
            glib::ffi::g_list_free(list);
            out
        }
    }

    /// How the generated script will reach the installer (changes the script: a
    /// kickstart on an initrd says `inst.ks=file:/…`, on a disk `hd:…`).
    pub fn set_preferred_injection_method(&self, method: u32) {
        // SAFETY: live script; the method is one of the flags the script lists.
        unsafe {
            ffi::osinfo_install_script_set_preferred_injection_method(self.to_glib_none().0, method)
        }
    }

    /// Media (`false`) or network (`true`) as the installation source.
    pub fn set_installation_source_network(&self, network: bool) {
        let source = if network {
            ffi::OSINFO_INSTALL_SCRIPT_INSTALLATION_SOURCE_NETWORK
        } else {
            ffi::OSINFO_INSTALL_SCRIPT_INSTALLATION_SOURCE_MEDIA
        };
        // SAFETY: live script; a valid enum value.
        unsafe { ffi::osinfo_install_script_set_installation_source(self.to_glib_none().0, source) }
    }

    /// Applies the script's XSLT template to `os` and `config`.
    pub fn generate(
        &self,
        os: &Os,
        config: &InstallConfig,
        cancellable: Option<&gio::Cancellable>,
    ) -> Result<String, glib::Error> {
        with_private_context(|| {
            let mut err = ptr::null_mut();
            // SAFETY: live script, OS and config; the text comes with transfer full.
            unsafe {
                let text = ffi::osinfo_install_script_generate(
                    self.to_glib_none().0,
                    os.to_glib_none().0,
                    config.to_glib_none().0,
                    cancellable.map_or(ptr::null_mut(), |c| c.to_glib_none().0),
                    &mut err,
                );
                take_generated(text, err)
            }
        })
    }

    /// Applies the script's template to an identified `media` (its variant and
    /// languages reach the template too).
    pub fn generate_for_media(
        &self,
        media: &Media,
        config: &InstallConfig,
        cancellable: Option<&gio::Cancellable>,
    ) -> Result<String, glib::Error> {
        with_private_context(|| {
            let mut err = ptr::null_mut();
            // SAFETY: live script, media and config; the text comes with transfer full.
            unsafe {
                let text = ffi::osinfo_install_script_generate_for_media(
                    self.to_glib_none().0,
                    media.to_glib_none().0,
                    config.to_glib_none().0,
                    cancellable.map_or(ptr::null_mut(), |c| c.to_glib_none().0),
                    &mut err,
                );
                take_generated(text, err)
            }
        })
    }

    /// The kernel command line that points the installer at the script, if the script
    /// has one for the preferred injection method.
    pub fn command_line(&self, os: &Os, config: &InstallConfig) -> Option<String> {
        if !self.has_command_line() {
            return None;
        }
        // SAFETY: live objects; the string comes with transfer full (or NULL).
        unsafe {
            from_glib_full(ffi::osinfo_install_script_generate_command_line(
                self.to_glib_none().0,
                os.to_glib_none().0,
                config.to_glib_none().0,
            ))
        }
    }

    pub fn command_line_for_media(&self, media: &Media, config: &InstallConfig) -> Option<String> {
        if !self.has_command_line() {
            return None;
        }
        // SAFETY: live objects; the string comes with transfer full (or NULL).
        unsafe {
            from_glib_full(ffi::osinfo_install_script_generate_command_line_for_media(
                self.to_glib_none().0,
                media.to_glib_none().0,
                config.to_glib_none().0,
            ))
        }
    }
}

/// Takes a generated text (transfer full) or the error that came instead.
///
/// # Safety
/// `text` is NULL or a g_malloc'ed string we own; `err` is NULL or a GError we own.
unsafe fn take_generated(
    text: *mut c_char,
    err: *mut glib::ffi::GError,
) -> Result<String, glib::Error> {
    // SAFETY: ownership of both is ours per the caller's contract.
    unsafe {
        let text: Option<String> = from_glib_full(text);
        match (take_error(err), text) {
            (Some(e), _) => Err(e),
            (None, Some(t)) => Ok(t),
            (None, None) => Err(glib::Error::new(
                gio::IOErrorEnum::Failed,
                "the install script produced nothing",
            )),
        }
    }
}

impl InstallConfig {
    pub fn new(id: &str) -> InstallConfig {
        // SAFETY: the id is copied; a new object (transfer full).
        unsafe { from_glib_full(ffi::osinfo_install_config_new(id.to_glib_none().0)) }
    }
}
