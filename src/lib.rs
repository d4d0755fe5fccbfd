//! Hangar: a desktop manager for libvirt virtual machines.
//!
//! `backend` is GTK-free (libvirt on worker threads, events, statistics, URIs, units);
//! `model` holds the GObjects the UI binds to; `ui` the widgets.

pub mod application;
pub mod backend;
pub mod cli;
pub mod config;
pub mod i18n;
pub mod model;
pub mod settings;
pub mod ui;

/// Set up logging: warnings by default, debug with `--debug` (or `HANGAR_LOG`).
/// When this process started (for benchmark marks).
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// A benchmark's mark: `HANGAR_BENCH_LOG=FILE` gets a line "MILLISECONDS WHAT" (time
/// since start). Nothing happens without it.
pub fn bench_mark(what: &str) {
    let Some(path) = std::env::var_os("HANGAR_BENCH_LOG") else {
        return;
    };
    let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis());
    let line = format!("{ms} {what}\n");
    let _ = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
}

pub fn init_logging(debug: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = if debug {
        EnvFilter::new("hangar=debug")
    } else {
        EnvFilter::try_from_env("HANGAR_LOG").unwrap_or_else(|_| EnvFilter::new("hangar=warn"))
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Without a GPU render node, OpenGL can only be Mesa's software rasteriser: it maps
/// 40 MB of LLVM and costs more CPU than cairo for a UI of lists and small graphs. The
/// same holds when the person asked for the cairo renderer. Then GL is not loaded at
/// all. Runs before any thread exists, so changing the environment is sound.
fn choose_renderer() {
    let has_gpu = std::fs::read_dir("/dev/dri")
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false);
    let renderer = std::env::var("GSK_RENDERER").ok();
    if std::env::var_os("GDK_DEBUG").is_some() {
        return;
    }
    match renderer.as_deref() {
        Some("cairo") => std::env::set_var("GDK_DEBUG", "gl-disable"),
        None if !has_gpu => {
            std::env::set_var("GSK_RENDERER", "cairo");
            std::env::set_var("GDK_DEBUG", "gl-disable");
        }
        _ => {}
    }
}

/// Register the compiled resources (idempotent).
pub fn init_resources() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        gtk::gio::resources_register_include!("hangar.gresource")
            .expect("the resources compiled into the binary load");
    });
}

/// The program: parse the command line locally for help, version and mistakes, then
/// hand it to the (possibly already running) application.
/// Make the calling thread (the one that will run GTK) the owner of GLib's default main
/// context, for the rest of the process.
///
/// libvirt's event loop lives on that same default context: `virEventRunDefaultImpl`
/// iterates it, on the thread [`backend::conn::events::init_event_loop`] starts when the first
/// connection opens. When that thread got there first (a `--connect` connection opens
/// while GTK starts) it held the context while waiting in poll, and
/// `g_application_run` refused to start ("cannot acquire the default main context"), one
/// start in ten here. Owned by the GTK thread from the start, the context is iterated by
/// GTK's main loop, which dispatches libvirt's watches and timers too, and no event
/// thread is started. Returns false when another thread owns it already.
pub fn own_default_main_context() -> bool {
    // SAFETY: acquiring the default context has no precondition; it is never released,
    // on purpose (see above).
    let owned = unsafe { gtk::glib::ffi::g_main_context_acquire(std::ptr::null_mut()) != 0 };
    if owned {
        backend::conn::events::main_loop_dispatches();
    }
    owned
}

pub fn run() -> std::process::ExitCode {
    use gtk::prelude::*;
    let _ = STARTED.set(std::time::Instant::now());
    choose_renderer();
    let args: Vec<String> = std::env::args().collect();
    // Started by ssh as its askpass: hand the question to the running Hangar.
    if backend::conn::askpass::is_askpass_call(&args) {
        return backend::conn::askpass::client_main(&args[1]);
    }
    let opts = match cli::parse(args.iter().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("hangar: {e}\n\n{}", cli::USAGE);
            return std::process::ExitCode::from(2);
        }
    };
    if opts.help {
        print!("{}", cli::USAGE);
        return std::process::ExitCode::SUCCESS;
    }
    if opts.version {
        println!("hangar {}", config::VERSION);
        return std::process::ExitCode::SUCCESS;
    }
    init_logging(opts.debug);
    tracing::debug!("starting");
    // libvirt prints every error to stderr by default; ours reach people through the UI.
    virt::error::clear_error_callback();
    i18n::init();
    init_resources();
    gtk::glib::set_application_name(&i18n::gettext("Hangar"));
    if !own_default_main_context() {
        eprintln!("hangar: GLib's main context is owned by another thread");
        return std::process::ExitCode::FAILURE;
    }
    // ssh (qemu+ssh:// connections, console tunnels) asks through Hangar's dialogs.
    // Set before any connection starts ssh; the service listens once GTK runs.
    if let Ok(exe) = std::env::current_exe() {
        backend::conn::askpass::install_env(&exe, &backend::conn::askpass::socket_path());
    }
    // Start opening the connection named on the command line now, while GTK starts:
    // a big hypervisor takes a while to answer, and the window is not needed for it.
    if let Some(uri) = &opts.connect {
        application::preconnect(uri);
    }
    let app = application::Application::new();
    let code = app.run_with_args(&args);
    std::process::ExitCode::from(i32::from(code).clamp(0, 255) as u8)
}
