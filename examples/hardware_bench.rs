//! Benchmark of the Hardware page: a domain with 200 devices, the time from its XML to
//! the list on screen, and the time to switch between devices. Prints figures; run
//! under a display (`xvfb-run -a cargo run --example hardware_bench`).

use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::glib;

use hangar::backend::domain_xml::{DomainXml, Section, ValidationContext};
use hangar::ui::vm::hardware::HardwarePage;

fn domain_xml(devices: usize) -> String {
    let mut x = String::from(
        "<domain type='qemu'>\n  <name>bench</name>\n  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n  \
         <memory unit='MiB'>4096</memory>\n  <vcpu>4</vcpu>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <devices>\n",
    );
    for i in 0..devices {
        match i % 5 {
            0 => x.push_str(&format!(
                "    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n      \
                 <source file='/var/lib/libvirt/images/d{i}.qcow2'/>\n      <target dev='vd{}{}' bus='virtio'/>\n    </disk>\n",
                (b'a' + (i / 26 % 26) as u8) as char,
                (b'a' + (i % 26) as u8) as char
            )),
            1 => x.push_str(&format!(
                "    <interface type='network'>\n      <mac address='52:54:00:00:{:02x}:{:02x}'/>\n      \
                 <source network='net{i}'/>\n      <model type='virtio'/>\n    </interface>\n",
                i / 256,
                i % 256
            )),
            2 => x.push_str(&format!(
                "    <serial type='pty'>\n      <target port='{i}'/>\n    </serial>\n"
            )),
            3 => x.push_str(&format!(
                "    <controller type='pci' index='{}' model='pcie-root-port'/>\n",
                i + 1
            )),
            _ => x.push_str(
                "    <channel type='unix'>\n      <target type='virtio' name='org.example.ch'/>\n    </channel>\n",
            ),
        }
    }
    x.push_str("  </devices>\n</domain>\n");
    x
}

/// Run the main loop until nothing is pending (layout and drawing done).
fn drain() {
    let ctx = glib::MainContext::default();
    while ctx.iteration(false) {}
}

fn main() {
    if std::env::var_os("GSETTINGS_BACKEND").is_none() {
        std::env::set_var("GSETTINGS_BACKEND", "memory");
    }
    if adw::init().is_err() {
        eprintln!("hardware_bench needs a display: run it under xvfb-run -a");
        std::process::exit(2);
    }
    hangar::init_resources();
    let xml = domain_xml(200);
    let window = gtk::Window::builder()
        .default_width(1100)
        .default_height(760)
        .build();
    let page = HardwarePage::new();
    window.set_child(Some(&page));
    window.present();
    drain();

    // Each run loads the domain into a fresh page, as opening a VM does; "shown" is
    // the end of the first frame drawn after the XML arrived, "complete" the moment
    // nothing is left to do (every row built, everything drawn).
    let painted = std::rc::Rc::new(std::cell::Cell::new(None::<Instant>));
    let p2 = painted.clone();
    window
        .frame_clock()
        .expect("a realized window has a frame clock")
        .connect_after_paint(move |_| {
            if p2.get().is_none() {
                p2.set(Some(Instant::now()));
            }
        });
    let mut load = Vec::new();
    let mut page = page;
    for _ in 0..5 {
        let fresh = HardwarePage::new();
        window.set_child(Some(&fresh));
        page = fresh;
        drain();
        painted.set(None);
        let t0 = Instant::now();
        let doc = DomainXml::parse(&xml).expect("the generated XML parses");
        let parsed = t0.elapsed();
        page.load(doc, ValidationContext::default());
        let built = t0.elapsed();
        let ctx = glib::MainContext::default();
        while painted.get().is_none() {
            ctx.iteration(true);
        }
        let shown = painted.get().map(|p| p - t0).unwrap_or_default();
        drain();
        let complete = t0.elapsed();
        load.push((parsed, shown, complete));
        eprintln!(
            "    (page built {:.2} ms, first frame {:.2} ms, complete {:.2} ms)",
            built.as_secs_f64() * 1e3,
            shown.as_secs_f64() * 1e3,
            complete.as_secs_f64() * 1e3
        );
    }
    let n = page.list_names().len();
    println!(
        "domain with 200 devices: {} list entries, {} bytes of XML",
        n,
        xml.len()
    );
    for (i, (p, s, c)) in load.iter().enumerate() {
        println!(
            "  run {}: parse {:.2} ms, XML to list shown {:.2} ms, all rows built {:.2} ms",
            i + 1,
            p.as_secs_f64() * 1e3,
            s.as_secs_f64() * 1e3,
            c.as_secs_f64() * 1e3
        );
    }
    let mut shown: Vec<Duration> = load.iter().map(|(_, s, _)| *s).collect();
    shown.sort();
    println!(
        "XML to list shown: best {:.2} ms, median {:.2} ms (target: under 100 ms)",
        shown[0].as_secs_f64() * 1e3,
        shown[shown.len() / 2].as_secs_f64() * 1e3
    );

    // Reloading the same domain (after Apply, or a change made outside Hangar).
    let mut reload = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let doc = DomainXml::parse(&xml).expect("the generated XML parses");
        page.load(doc, ValidationContext::default());
        drain();
        reload.push(t0.elapsed());
    }
    reload.sort();
    println!(
        "reload of the same domain: median {:.2} ms",
        reload[reload.len() / 2].as_secs_f64() * 1e3
    );

    let sections: Vec<Section> = page.list_names().into_iter().map(|(s, _)| s).collect();
    let mut times: Vec<Duration> = Vec::new();
    for s in sections.iter().cycle().step_by(7).take(100) {
        let t0 = Instant::now();
        page.select(*s);
        drain();
        times.push(t0.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "switching to devices not shown before ({} switches): median {:.2} ms, 95th percentile {:.2} ms, max {:.2} ms",
        times.len(),
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(times[times.len() - 1])
    );

    // Going back and forth between a few devices (their editors are kept).
    let few: Vec<Section> = sections
        .iter()
        .copied()
        .skip(4)
        .step_by(9)
        .take(8)
        .collect();
    for s in &few {
        page.select(*s);
        drain();
    }
    let mut back: Vec<Duration> = Vec::new();
    for s in few.iter().cycle().take(100) {
        let t0 = Instant::now();
        page.select(*s);
        drain();
        back.push(t0.elapsed());
    }
    back.sort();
    println!(
        "switching back among 8 devices (100 switches): median {:.2} ms, 95th percentile {:.2} ms, max {:.2} ms",
        ms(back[back.len() / 2]),
        ms(back[back.len() * 95 / 100]),
        ms(back[back.len() - 1])
    );
    window.destroy();
}
