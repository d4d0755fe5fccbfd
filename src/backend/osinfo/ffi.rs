//! The part of libosinfo 1.10's C API that Hangar uses, declared by hand from
//! `/usr/include/libosinfo-1.0/osinfo/*.h` (Debian: `libosinfo-1.0-dev`). Ownership of
//! every return value follows `Libosinfo-1.0.gir`: the safe layer in `object.rs` says
//! which at each call. Nothing outside `object.rs` calls these.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_uint};
use std::marker::{PhantomData, PhantomPinned};

use gio::ffi::GCancellable;
use glib::ffi::{gboolean, GError, GList, GType};

macro_rules! opaque {
    ($($name:ident),* $(,)?) => {
        $(
            /// An instance struct of libosinfo, only ever handled through a pointer.
            #[repr(C)]
            pub struct $name {
                _data: [u8; 0],
                _marker: PhantomData<(*mut u8, PhantomPinned)>,
            }
        )*
    };
}

opaque!(
    OsinfoLoader,
    OsinfoDb,
    OsinfoEntity,
    OsinfoProduct,
    OsinfoOs,
    OsinfoOsVariant,
    OsinfoMedia,
    OsinfoTree,
    OsinfoList,
    OsinfoResources,
    OsinfoDevice,
    OsinfoFirmware,
    OsinfoInstallScript,
    OsinfoInstallConfig,
    OsinfoInstallConfigParam,
    OsinfoFilter,
);

/// `OsinfoReleaseStatus`.
pub const OSINFO_RELEASE_STATUS_SNAPSHOT: c_int = 1;
pub const OSINFO_RELEASE_STATUS_PRERELEASE: c_int = 2;
pub const OSINFO_RELEASE_STATUS_ROLLING: c_int = 3;

/// `OsinfoProductRelationship`.
pub const OSINFO_PRODUCT_RELATIONSHIP_DERIVES_FROM: c_int = 0;

/// `OsinfoInstallScriptInjectionMethod` (flags).
pub const OSINFO_INSTALL_SCRIPT_INJECTION_METHOD_CDROM: c_uint = 1 << 0;
pub const OSINFO_INSTALL_SCRIPT_INJECTION_METHOD_DISK: c_uint = 1 << 1;
pub const OSINFO_INSTALL_SCRIPT_INJECTION_METHOD_FLOPPY: c_uint = 1 << 2;
pub const OSINFO_INSTALL_SCRIPT_INJECTION_METHOD_INITRD: c_uint = 1 << 3;
pub const OSINFO_INSTALL_SCRIPT_INJECTION_METHOD_WEB: c_uint = 1 << 4;

/// `OsinfoInstallScriptInstallationSource`.
pub const OSINFO_INSTALL_SCRIPT_INSTALLATION_SOURCE_MEDIA: c_int = 0;
pub const OSINFO_INSTALL_SCRIPT_INSTALLATION_SOURCE_NETWORK: c_int = 1;

/// `OsinfoPathFormat`.
pub const OSINFO_PATH_FORMAT_DOS: c_int = 1;

/// `OsinfoInstallConfigParamPolicy`.
pub const OSINFO_INSTALL_CONFIG_PARAM_POLICY_REQUIRED: c_int = 1;

#[link(name = "osinfo-1.0")]
extern "C" {
    pub fn osinfo_loader_get_type() -> GType;
    pub fn osinfo_db_get_type() -> GType;
    pub fn osinfo_entity_get_type() -> GType;
    pub fn osinfo_product_get_type() -> GType;
    pub fn osinfo_os_get_type() -> GType;
    pub fn osinfo_os_variant_get_type() -> GType;
    pub fn osinfo_media_get_type() -> GType;
    pub fn osinfo_tree_get_type() -> GType;
    pub fn osinfo_list_get_type() -> GType;
    pub fn osinfo_resources_get_type() -> GType;
    pub fn osinfo_device_get_type() -> GType;
    pub fn osinfo_firmware_get_type() -> GType;
    pub fn osinfo_install_script_get_type() -> GType;
    pub fn osinfo_install_config_get_type() -> GType;
    pub fn osinfo_install_config_param_get_type() -> GType;

    // Loader and database.
    pub fn osinfo_loader_new() -> *mut OsinfoLoader;
    pub fn osinfo_loader_get_db(loader: *mut OsinfoLoader) -> *mut OsinfoDb;
    pub fn osinfo_loader_process_default_path(loader: *mut OsinfoLoader, err: *mut *mut GError);
    pub fn osinfo_loader_process_system_path(loader: *mut OsinfoLoader, err: *mut *mut GError);
    pub fn osinfo_loader_process_path(
        loader: *mut OsinfoLoader,
        path: *const c_char,
        err: *mut *mut GError,
    );
    pub fn osinfo_db_get_os_list(db: *mut OsinfoDb) -> *mut OsinfoList;
    pub fn osinfo_db_get_os(db: *mut OsinfoDb, id: *const c_char) -> *mut OsinfoOs;
    pub fn osinfo_db_identify_media(db: *mut OsinfoDb, media: *mut OsinfoMedia) -> gboolean;
    pub fn osinfo_db_identify_medialist(
        db: *mut OsinfoDb,
        media: *mut OsinfoMedia,
    ) -> *mut OsinfoList;
    pub fn osinfo_db_identify_tree(db: *mut OsinfoDb, tree: *mut OsinfoTree) -> gboolean;
    pub fn osinfo_db_identify_treelist(db: *mut OsinfoDb, tree: *mut OsinfoTree)
        -> *mut OsinfoList;

    // Entities and lists.
    pub fn osinfo_entity_get_id(entity: *mut OsinfoEntity) -> *const c_char;
    pub fn osinfo_entity_set_param(
        entity: *mut OsinfoEntity,
        key: *const c_char,
        value: *const c_char,
    );
    pub fn osinfo_list_get_length(list: *mut OsinfoList) -> c_int;
    pub fn osinfo_list_get_nth(list: *mut OsinfoList, idx: c_int) -> *mut OsinfoEntity;

    // Products and operating systems.
    pub fn osinfo_product_get_short_id(product: *mut OsinfoProduct) -> *const c_char;
    pub fn osinfo_product_get_short_id_list(product: *mut OsinfoProduct) -> *mut GList;
    pub fn osinfo_product_get_name(product: *mut OsinfoProduct) -> *const c_char;
    pub fn osinfo_product_get_vendor(product: *mut OsinfoProduct) -> *const c_char;
    pub fn osinfo_product_get_version(product: *mut OsinfoProduct) -> *const c_char;
    pub fn osinfo_product_get_codename(product: *mut OsinfoProduct) -> *const c_char;
    pub fn osinfo_product_get_release_date_string(product: *mut OsinfoProduct) -> *const c_char;
    pub fn osinfo_product_get_eol_date_string(product: *mut OsinfoProduct) -> *const c_char;
    pub fn osinfo_product_get_related(
        product: *mut OsinfoProduct,
        relationship: c_int,
    ) -> *mut OsinfoList;
    pub fn osinfo_os_get_family(os: *mut OsinfoOs) -> *const c_char;
    pub fn osinfo_os_get_distro(os: *mut OsinfoOs) -> *const c_char;
    pub fn osinfo_os_get_release_status(os: *mut OsinfoOs) -> c_int;
    pub fn osinfo_os_get_media_list(os: *mut OsinfoOs) -> *mut OsinfoList;
    pub fn osinfo_os_get_tree_list(os: *mut OsinfoOs) -> *mut OsinfoList;
    pub fn osinfo_os_get_all_devices(
        os: *mut OsinfoOs,
        filter: *mut OsinfoFilter,
    ) -> *mut OsinfoList;
    pub fn osinfo_os_get_minimum_resources(os: *mut OsinfoOs) -> *mut OsinfoList;
    pub fn osinfo_os_get_recommended_resources(os: *mut OsinfoOs) -> *mut OsinfoList;
    pub fn osinfo_os_get_maximum_resources(os: *mut OsinfoOs) -> *mut OsinfoList;
    pub fn osinfo_os_get_network_install_resources(os: *mut OsinfoOs) -> *mut OsinfoList;
    pub fn osinfo_os_get_install_script_list(os: *mut OsinfoOs) -> *mut OsinfoList;
    pub fn osinfo_os_get_complete_firmware_list(
        os: *mut OsinfoOs,
        filter: *mut OsinfoFilter,
    ) -> *mut OsinfoList;
    pub fn osinfo_os_get_kernel_url_argument(os: *mut OsinfoOs) -> *const c_char;
    pub fn osinfo_os_get_variant_list(os: *mut OsinfoOs) -> *mut OsinfoList;
    pub fn osinfo_os_variant_get_name(variant: *mut OsinfoOsVariant) -> *const c_char;

    // Resources, devices, firmware.
    pub fn osinfo_resources_get_architecture(resources: *mut OsinfoResources) -> *const c_char;
    pub fn osinfo_resources_get_n_cpus(resources: *mut OsinfoResources) -> c_int;
    pub fn osinfo_resources_get_cpu(resources: *mut OsinfoResources) -> i64;
    pub fn osinfo_resources_get_ram(resources: *mut OsinfoResources) -> i64;
    pub fn osinfo_resources_get_storage(resources: *mut OsinfoResources) -> i64;
    pub fn osinfo_device_get_name(dev: *mut OsinfoDevice) -> *const c_char;
    pub fn osinfo_device_get_class(dev: *mut OsinfoDevice) -> *const c_char;
    pub fn osinfo_device_get_bus_type(dev: *mut OsinfoDevice) -> *const c_char;
    pub fn osinfo_firmware_get_architecture(firmware: *mut OsinfoFirmware) -> *const c_char;
    pub fn osinfo_firmware_get_firmware_type(firmware: *mut OsinfoFirmware) -> *const c_char;
    pub fn osinfo_firmware_is_supported(firmware: *mut OsinfoFirmware) -> gboolean;

    // Media.
    pub fn osinfo_media_create_from_location_with_flags(
        location: *const c_char,
        cancellable: *mut GCancellable,
        flags: c_uint,
        err: *mut *mut GError,
    ) -> *mut OsinfoMedia;
    pub fn osinfo_media_get_os(media: *mut OsinfoMedia) -> *mut OsinfoOs;
    pub fn osinfo_media_get_volume_id(media: *mut OsinfoMedia) -> *const c_char;
    pub fn osinfo_media_get_system_id(media: *mut OsinfoMedia) -> *const c_char;
    pub fn osinfo_media_get_publisher_id(media: *mut OsinfoMedia) -> *const c_char;
    pub fn osinfo_media_get_application_id(media: *mut OsinfoMedia) -> *const c_char;
    pub fn osinfo_media_get_architecture(media: *mut OsinfoMedia) -> *const c_char;
    pub fn osinfo_media_get_live(media: *mut OsinfoMedia) -> gboolean;
    pub fn osinfo_media_get_installer(media: *mut OsinfoMedia) -> gboolean;
    pub fn osinfo_media_get_installer_reboots(media: *mut OsinfoMedia) -> c_int;
    pub fn osinfo_media_get_eject_after_install(media: *mut OsinfoMedia) -> gboolean;
    pub fn osinfo_media_is_bootable(media: *mut OsinfoMedia) -> gboolean;
    pub fn osinfo_media_supports_installer_script(media: *mut OsinfoMedia) -> gboolean;
    pub fn osinfo_media_get_install_script_list(media: *mut OsinfoMedia) -> *mut OsinfoList;
    pub fn osinfo_media_get_kernel_path(media: *mut OsinfoMedia) -> *const c_char;
    pub fn osinfo_media_get_initrd_path(media: *mut OsinfoMedia) -> *const c_char;
    pub fn osinfo_media_get_os_variants(media: *mut OsinfoMedia) -> *mut OsinfoList;
    pub fn osinfo_media_get_languages(media: *mut OsinfoMedia) -> *mut GList;

    // Trees.
    pub fn osinfo_tree_create_from_location(
        location: *const c_char,
        cancellable: *mut GCancellable,
        err: *mut *mut GError,
    ) -> *mut OsinfoTree;
    pub fn osinfo_tree_get_os(tree: *mut OsinfoTree) -> *mut OsinfoOs;
    pub fn osinfo_tree_get_architecture(tree: *mut OsinfoTree) -> *const c_char;
    pub fn osinfo_tree_get_url(tree: *mut OsinfoTree) -> *const c_char;
    pub fn osinfo_tree_get_kernel_path(tree: *mut OsinfoTree) -> *const c_char;
    pub fn osinfo_tree_get_initrd_path(tree: *mut OsinfoTree) -> *const c_char;
    pub fn osinfo_tree_get_boot_iso_path(tree: *mut OsinfoTree) -> *const c_char;
    pub fn osinfo_tree_get_treeinfo_family(tree: *mut OsinfoTree) -> *const c_char;
    pub fn osinfo_tree_get_treeinfo_version(tree: *mut OsinfoTree) -> *const c_char;
    pub fn osinfo_tree_get_treeinfo_arch(tree: *mut OsinfoTree) -> *const c_char;
    pub fn osinfo_tree_get_treeinfo_variant(tree: *mut OsinfoTree) -> *const c_char;
    pub fn osinfo_tree_get_os_variants(tree: *mut OsinfoTree) -> *mut OsinfoList;

    // Install scripts.
    pub fn osinfo_install_script_get_profile(script: *mut OsinfoInstallScript) -> *const c_char;
    pub fn osinfo_install_script_get_injection_methods(script: *mut OsinfoInstallScript) -> c_uint;
    pub fn osinfo_install_script_get_product_key_format(
        script: *mut OsinfoInstallScript,
    ) -> *const c_char;
    pub fn osinfo_install_script_get_expected_filename(
        script: *mut OsinfoInstallScript,
    ) -> *const c_char;
    pub fn osinfo_install_script_get_template_data(
        script: *mut OsinfoInstallScript,
    ) -> *const c_char;
    pub fn osinfo_install_script_get_needs_internet(script: *mut OsinfoInstallScript) -> gboolean;
    pub fn osinfo_install_script_get_path_format(script: *mut OsinfoInstallScript) -> c_int;
    pub fn osinfo_install_script_get_can_pre_install_drivers(
        script: *mut OsinfoInstallScript,
    ) -> gboolean;
    pub fn osinfo_install_script_get_can_post_install_drivers(
        script: *mut OsinfoInstallScript,
    ) -> gboolean;
    pub fn osinfo_install_script_get_config_param_list(
        script: *mut OsinfoInstallScript,
    ) -> *mut GList;
    pub fn osinfo_install_script_set_preferred_injection_method(
        script: *mut OsinfoInstallScript,
        method: c_uint,
    );
    pub fn osinfo_install_script_set_installation_source(
        script: *mut OsinfoInstallScript,
        source: c_int,
    );
    pub fn osinfo_install_script_generate(
        script: *mut OsinfoInstallScript,
        os: *mut OsinfoOs,
        config: *mut OsinfoInstallConfig,
        cancellable: *mut GCancellable,
        err: *mut *mut GError,
    ) -> *mut c_char;
    pub fn osinfo_install_script_generate_for_media(
        script: *mut OsinfoInstallScript,
        media: *mut OsinfoMedia,
        config: *mut OsinfoInstallConfig,
        cancellable: *mut GCancellable,
        err: *mut *mut GError,
    ) -> *mut c_char;
    pub fn osinfo_install_script_generate_command_line(
        script: *mut OsinfoInstallScript,
        os: *mut OsinfoOs,
        config: *mut OsinfoInstallConfig,
    ) -> *mut c_char;
    pub fn osinfo_install_script_generate_command_line_for_media(
        script: *mut OsinfoInstallScript,
        media: *mut OsinfoMedia,
        config: *mut OsinfoInstallConfig,
    ) -> *mut c_char;
    pub fn osinfo_install_config_new(id: *const c_char) -> *mut OsinfoInstallConfig;
    pub fn osinfo_install_config_param_get_name(
        param: *mut OsinfoInstallConfigParam,
    ) -> *const c_char;
    pub fn osinfo_install_config_param_get_policy(param: *mut OsinfoInstallConfigParam) -> c_int;
}
