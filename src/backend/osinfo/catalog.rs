//! The OS list as the wizard's chooser uses it: text search, and a "generic / newer
//! than the list" choice per family for when the database is older than the media.
//! Plain functions over [`OsEntry`] data: they run on any thread, the UI's included.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::db::{OsEntry, OsRef, ReleaseStatus};

/// The OSes whose name, short ids, vendor, version, codename, family or distro contain
/// every word of `query` (case-insensitive). Best first: an exact short id, then
/// entries whose name starts with the query, then the newest release. An empty query
/// gives every entry, newest first.
pub fn search<'a>(list: &'a [OsEntry], query: &str) -> Vec<&'a OsEntry> {
    let query = query.trim().to_lowercase();
    let words: Vec<&str> = query.split_whitespace().collect();
    let mut hits: Vec<&OsEntry> = list
        .iter()
        .filter(|e| {
            let hay = haystack(e);
            words.iter().all(|w| hay.contains(w))
        })
        .collect();
    hits.sort_by_cached_key(|e| {
        let exact = e.short_ids.iter().any(|s| s.to_lowercase() == query);
        let prefix = !query.is_empty() && e.name.to_lowercase().starts_with(&query);
        (
            !exact,
            !prefix,
            Reverse(e.release_date.clone().unwrap_or_default()),
            e.name.clone(),
        )
    });
    hits
}

fn haystack(e: &OsEntry) -> String {
    let mut s = String::new();
    for part in [
        Some(&e.name),
        e.vendor.as_ref(),
        e.version.as_ref(),
        e.codename.as_ref(),
        e.family.as_ref(),
        e.distro.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        s.push_str(&part.to_lowercase());
        s.push('\n');
    }
    for id in &e.short_ids {
        s.push_str(&id.to_lowercase());
        s.push('\n');
    }
    s
}

/// The entry to use for media of `family` that the database does not know: a safe,
/// recent choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericChoice {
    /// `linux`, `winnt`, `freebsd`…
    pub family: String,
    pub os: OsRef,
    /// Whether it is a generic entry of libosinfo's own (`linux2022`) rather than the
    /// newest release the database knows of that family (`win11`, `freebsd13.1`).
    pub generic: bool,
}

/// One choice per OS family in the list, the families with the most entries first
/// (`linux`, then the BSDs, `winnt`…). For a family with generic entries of
/// libosinfo's own (`linux2016` … `linux2022`) the newest of them; otherwise the newest
/// released entry of the family (by release date: Windows 11, FreeBSD 13.1).
pub fn generic_choices(list: &[OsEntry]) -> Vec<GenericChoice> {
    let mut families: BTreeMap<&str, Vec<&OsEntry>> = BTreeMap::new();
    for e in list {
        if let Some(f) = e.family.as_deref() {
            families.entry(f).or_default().push(e);
        }
    }
    let mut out: Vec<(usize, GenericChoice)> = families
        .into_iter()
        .filter_map(|(family, entries)| {
            let chosen = pick_generic(&entries).or_else(|| pick_newest_released(&entries))?;
            Some((
                entries.len(),
                GenericChoice {
                    family: family.to_string(),
                    os: chosen.to_ref(),
                    generic: chosen.generic,
                },
            ))
        })
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.family.cmp(&b.1.family)));
    out.into_iter().map(|(_, c)| c).collect()
}

/// The safest entry for an unknown release of `distro` (when given) within `family`:
/// the distribution's own entry for newer releases (`fedora-unknown`; of several, the
/// least specific: `rhel-unknown` before `rhel9-unknown`), else its newest release,
/// else the family's entry of [`generic_choices`].
pub fn fallback_for<'a>(
    list: &'a [OsEntry],
    family: &str,
    distro: Option<&str>,
) -> Option<&'a OsEntry> {
    if let Some(distro) = distro {
        let of_distro: Vec<&OsEntry> = list
            .iter()
            .filter(|e| e.distro.as_deref() == Some(distro))
            .collect();
        let newer = of_distro
            .iter()
            .copied()
            .filter(|e| {
                e.release_status != ReleaseStatus::Rolling
                    && (e.version.as_deref() == Some("unknown") || e.short_id.ends_with("-unknown"))
            })
            .min_by_key(|e| {
                (
                    e.short_id.chars().filter(char::is_ascii_digit).count(),
                    &e.id,
                )
            });
        if let Some(e) = newer.or_else(|| pick_newest_released(&of_distro)) {
            return Some(e);
        }
    }
    let of_family: Vec<&OsEntry> = list
        .iter()
        .filter(|e| e.family.as_deref() == Some(family))
        .collect();
    pick_generic(&of_family).or_else(|| pick_newest_released(&of_family))
}

fn pick_generic<'a>(entries: &[&'a OsEntry]) -> Option<&'a OsEntry> {
    entries
        .iter()
        .copied()
        .filter(|e| e.generic)
        .max_by(|a, b| {
            a.release_date
                .cmp(&b.release_date)
                .then_with(|| a.version.cmp(&b.version))
        })
}

fn pick_newest_released<'a>(entries: &[&'a OsEntry]) -> Option<&'a OsEntry> {
    entries
        .iter()
        .copied()
        .filter(|e| e.release_status == ReleaseStatus::Released && e.release_date.is_some())
        .max_by(|a, b| {
            a.release_date
                .cmp(&b.release_date)
                .then_with(|| b.id.cmp(&a.id))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(short: &str, name: &str, family: &str, distro: &str, date: &str) -> OsEntry {
        OsEntry {
            id: format!("http://example.org/{short}"),
            short_id: short.to_string(),
            short_ids: vec![short.to_string()],
            name: name.to_string(),
            vendor: Some("Example".into()),
            family: Some(family.to_string()),
            distro: Some(distro.to_string()),
            version: Some(short.trim_start_matches(char::is_alphabetic).to_string()),
            codename: None,
            release_date: (!date.is_empty()).then(|| date.to_string()),
            eol_date: None,
            release_status: ReleaseStatus::Released,
            newer_than_list: false,
            generic: false,
            media_architectures: vec!["x86_64".into()],
            tree_architectures: vec![],
            has_install_scripts: false,
            kernel_url_argument: None,
            derives_from: vec![],
        }
    }

    fn sample() -> Vec<OsEntry> {
        let mut generic = entry("linux2020", "Generic Linux 2020", "linux", "", "2020-01-01");
        generic.generic = true;
        generic.newer_than_list = true;
        generic.distro = None;
        let mut generic22 = entry("linux2022", "Generic Linux 2022", "linux", "", "2022-01-01");
        generic22.generic = true;
        generic22.newer_than_list = true;
        generic22.distro = None;
        let mut unknown = entry("fedora-unknown", "Fedora", "linux", "fedora", "");
        unknown.version = Some("unknown".into());
        unknown.release_status = ReleaseStatus::Prerelease;
        unknown.newer_than_list = true;
        let mut rawhide = entry("fedora-rawhide", "Fedora Rawhide", "linux", "fedora", "");
        rawhide.release_status = ReleaseStatus::Snapshot;
        vec![
            entry(
                "fedora36",
                "Fedora Linux 36",
                "linux",
                "fedora",
                "2022-05-10",
            ),
            entry(
                "fedora37",
                "Fedora Linux 37",
                "linux",
                "fedora",
                "2022-11-15",
            ),
            unknown,
            rawhide,
            generic,
            generic22,
            entry(
                "win10",
                "Microsoft Windows 10",
                "winnt",
                "win",
                "2018-11-13",
            ),
            entry(
                "win11",
                "Microsoft Windows 11",
                "winnt",
                "win",
                "2021-10-05",
            ),
            entry(
                "win2k22",
                "Microsoft Windows Server 2022",
                "winnt",
                "win",
                "2021-08-18",
            ),
            entry(
                "freebsd13.1",
                "FreeBSD 13.1",
                "freebsd",
                "freebsd",
                "2022-05-12",
            ),
            entry("debian11", "Debian 11", "linux", "debian", "2021-08-14"),
        ]
    }

    #[test]
    fn search_matches_every_word_and_ranks_the_exact_short_id_first() {
        let list = sample();
        let hits: Vec<&str> = search(&list, "fedora 37")
            .iter()
            .map(|e| e.short_id.as_str())
            .collect();
        assert_eq!(hits, ["fedora37"]);
        let hits: Vec<&str> = search(&list, "WIN10")
            .iter()
            .map(|e| e.short_id.as_str())
            .collect();
        assert_eq!(hits.first(), Some(&"win10"));
        let hits: Vec<&str> = search(&list, "windows")
            .iter()
            .map(|e| e.short_id.as_str())
            .collect();
        assert_eq!(hits, ["win11", "win2k22", "win10"], "newest first");
        assert!(search(&list, "plan9").is_empty());
        assert_eq!(search(&list, "  ").len(), list.len());
    }

    #[test]
    fn a_family_with_generic_entries_gets_the_newest_generic_one() {
        let choices = generic_choices(&sample());
        let linux = choices.iter().find(|c| c.family == "linux").expect("linux");
        assert_eq!(linux.os.short_id, "linux2022");
        assert!(linux.generic);
        let win = choices.iter().find(|c| c.family == "winnt").expect("winnt");
        assert_eq!(win.os.short_id, "win11");
        assert!(!win.generic);
        assert_eq!(choices[0].family, "linux", "the biggest family first");
        assert_eq!(choices.len(), 3);
    }

    #[test]
    fn a_distribution_falls_back_to_its_own_entry_for_newer_releases() {
        let list = sample();
        let f = fallback_for(&list, "linux", Some("fedora")).expect("fedora");
        assert_eq!(f.short_id, "fedora-unknown");
        let d = fallback_for(&list, "linux", Some("debian")).expect("debian");
        assert_eq!(
            d.short_id, "debian11",
            "no unknown entry: the newest release"
        );
        let u = fallback_for(&list, "linux", Some("ubuntu")).expect("ubuntu");
        assert_eq!(
            u.short_id, "linux2022",
            "not in the list: the family's generic"
        );
        let w = fallback_for(&list, "winnt", None).expect("windows");
        assert_eq!(w.short_id, "win11");
        assert!(fallback_for(&list, "haiku", None).is_none());
    }
}
