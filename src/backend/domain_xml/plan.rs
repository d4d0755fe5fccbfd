//! What an Apply means, worked out from the definition before and after the edits:
//! which devices change in place (live, on a running machine), whether the
//! definition must be written, what of memory and vCPUs changes now; and where a
//! selected device is after a reload. The Hardware page runs the plan; tests check it.

use crate::backend::xml::Element;

use super::document::DomainXml;

/// Where the device at `index` of `old` is in `new`: the same element, else the
/// same position when it holds the same kind of device.
pub fn follow_device(old: &DomainXml, new: &DomainXml, index: usize) -> Option<usize> {
    let el: &Element = old.device(index)?;
    new.device_indices()
        .into_iter()
        .find(|i| new.device(*i) == Some(el))
        .or_else(|| {
            new.device(index)
                .filter(|e| e.name == el.name)
                .map(|_| index)
        })
}

/// The current memory (KiB) and vCPU count to set on the running machine: those
/// that the edit changed.
pub fn live_targets(original: &DomainXml, edited: &DomainXml) -> (Option<u64>, Option<u32>) {
    let cur_mem = |d: &DomainXml| {
        let m = d.memory();
        m.current_kib.unwrap_or(m.max_kib)
    };
    let cur_cpus = |d: &DomainXml| {
        let c = d.cpu();
        c.current.unwrap_or(c.max)
    };
    (
        (cur_mem(original) != cur_mem(edited)).then(|| cur_mem(edited)),
        (cur_cpus(original) != cur_cpus(edited)).then(|| cur_cpus(edited)),
    )
}

/// Whether the edit outside the devices changed nothing but the current memory and
/// vCPU count (the maxima unchanged).
pub fn only_current_changed(original: &DomainXml, edited: &DomainXml) -> bool {
    let rest = |d: &DomainXml| {
        let mut c = d.clone();
        c.doc
            .root
            .remove_children(|e| matches!(e.name.as_str(), "devices" | "currentMemory" | "vcpu"));
        c
    };
    rest(original) == rest(edited) && original.cpu().max == edited.cpu().max
}

/// The steps of an Apply.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApplyPlan {
    /// Devices changed in place, as XML for `virDomainUpdateDeviceFlags` (the list of
    /// devices itself changes only through Add and Remove).
    pub device_updates: Vec<String>,
    /// The definition changes beyond those devices (or a device changed in a way only
    /// the definition can carry): write it.
    pub define: bool,
    /// On a running machine: the current memory (KiB) and vCPU count to set now.
    pub live_memory: Option<u64>,
    pub live_vcpus: Option<u32>,
    /// On a running machine: changes that take effect only after shutdown.
    pub others_wait: bool,
}

impl ApplyPlan {
    pub fn of(original: &DomainXml, edited: &DomainXml, active: bool) -> ApplyPlan {
        let mut plan = ApplyPlan::default();
        let (o_devs, e_devs) = (original.devices(), edited.devices());
        if o_devs.len() != e_devs.len() {
            plan.define = true;
        } else {
            // A device whose boot order alone changed is a change of the definition:
            // QEMU cannot reorder booting while it runs.
            let no_boot = |e: Option<&Element>| {
                e.map(|e| {
                    let mut c = e.clone();
                    c.remove_children(|x| x.name == "boot");
                    c
                })
            };
            for d in &e_devs {
                let (a, b) = (original.device(d.index), edited.device(d.index));
                if a == b {
                    continue;
                }
                if no_boot(a) == no_boot(b) {
                    plan.define = true;
                } else if let Some(b) = b {
                    plan.device_updates.push(b.to_xml());
                }
            }
        }
        let strip = |x: &DomainXml| {
            let mut c = x.clone();
            c.doc.root.remove_children(|e| e.name == "devices");
            c
        };
        if strip(original) != strip(edited) {
            plan.define = true;
        }
        // On a running machine the current memory and vCPU count change now too (the
        // maxima only after shutdown).
        if active {
            (plan.live_memory, plan.live_vcpus) = live_targets(original, edited);
        }
        plan.others_wait = active && plan.define && !only_current_changed(original, edited);
        plan
    }
}
