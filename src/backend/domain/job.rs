//! A domain's current job (a migration, a snapshot, a save): its counters by name,
//! read with `virDomainGetJobStats`. The virt crate's `Domain::job_stats` takes
//! ownership of libvirt's array with Rust's allocator (and of a null one when there is
//! no job): the array is read here and freed with `virTypedParamsFree`.

use virt::domain::Domain;
use virt::sys;

/// The job's type (`VIR_DOMAIN_JOB_*`) and its unsigned counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobCounters {
    pub kind: i32,
    pub values: Vec<(String, u64)>,
}

impl JobCounters {
    /// Whether a job runs (or ran, for completed statistics).
    pub fn is_job(&self) -> bool {
        self.kind != sys::VIR_DOMAIN_JOB_NONE as i32
    }

    /// The counter `name` (`data_total`, `memory_bps`…), if the job has it.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// The domain's job now; None when libvirt cannot say.
pub fn job_counters(d: &Domain) -> Option<JobCounters> {
    let mut kind: libc::c_int = 0;
    let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
    let mut n: libc::c_int = 0;
    // SAFETY: `d` is a valid domain; the out-pointers point to live locals.
    let r = unsafe { sys::virDomainGetJobStats(d.as_ptr(), &mut kind, &mut params, &mut n, 0) };
    if r < 0 {
        return None;
    }
    let mut values = Vec::new();
    if !params.is_null() && n > 0 {
        // SAFETY: libvirt returned `n` initialised parameters at `params`.
        let list = unsafe { std::slice::from_raw_parts(params, n as usize) };
        for p in list {
            if p.type_ != sys::VIR_TYPED_PARAM_ULLONG as i32 {
                continue;
            }
            // SAFETY: `field` is a NUL-terminated string within its 80 bytes.
            let name = unsafe { std::ffi::CStr::from_ptr(p.field.as_ptr()) };
            // SAFETY: the type says the union holds an unsigned long long.
            let v = unsafe { p.value.ul };
            values.push((name.to_string_lossy().into_owned(), v));
        }
    }
    if !params.is_null() {
        // SAFETY: `params` and `n` are what libvirt allocated; freed once.
        unsafe { sys::virTypedParamsFree(params, n) };
    }
    Some(JobCounters { kind, values })
}
