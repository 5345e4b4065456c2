//! Linux: FIDO keys that are plugged in but may not be opened (design §3.1).
//!
//! fido-hid-rs skips a hidraw node it cannot open with only a log line, so without this scan
//! a key the person may not open would read "no key". The scan reads each node's report
//! descriptor from sysfs (mode 0444, readable by anyone) and tries to open the FIDO ones
//! read-write, as fido-hid-rs does. The sysfs and /dev roots and the opener are parameters so
//! that tests can use a fake tree (they run as root, whose `open` always succeeds).

use std::{
    fs::{self, OpenOptions},
    io,
    path::{Path, PathBuf},
};

/// Where the kernel lists hidraw nodes.
pub(super) const SYSFS_HIDRAW: &str = "/sys/class/hidraw";
/// Where their device files are.
pub(super) const DEV: &str = "/dev";

/// The FIDO Alliance usage page and its CTAPHID usage (CTAP 2.1 §11.2.8.1).
const FIDO_USAGE_PAGE: u16 = 0xF1D0;
const FIDO_USAGE_CTAPHID: u16 = 0x01;
/// `BUS_USB` in `HID_ID=0003:…`: fido-hid-rs keeps USB keys only.
const BUS_USB: u32 = 0x0003;

/// What opening a node said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    Open,
    /// EACCES or EPERM: plugged in, but not for this user.
    Denied,
    /// Anything else (unplugged meanwhile, busy…): not a permission problem.
    Other,
}

/// Sorts an `open` result into [`Access`].
pub(super) fn classify(result: &io::Result<()>) -> Access {
    match result {
        Ok(()) => Access::Open,
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => Access::Denied,
        Err(_) => Access::Other,
    }
}

/// Opens `path` read-write and closes it at once.
pub(super) fn open_read_write(path: &Path) -> io::Result<()> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map(drop)
}

/// The USB FIDO nodes under `dev` that `open` refuses for lack of permission, sorted.
pub(super) fn denied_fido_nodes(
    sysfs: &Path,
    dev: &Path,
    open: impl Fn(&Path) -> io::Result<()>,
) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(sysfs) else {
        return Vec::new();
    };
    let mut denied: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| is_usb_fido(&entry.path().join("device")))
        .map(|entry| dev.join(entry.file_name()))
        .filter(|node| classify(&open(node)) == Access::Denied)
        .collect();
    denied.sort();
    denied
}

/// Whether the HID device at `device` (a sysfs directory) is a FIDO key on USB. An unreadable
/// `uevent` does not rule a key out: the descriptor already says FIDO.
fn is_usb_fido(device: &Path) -> bool {
    let Ok(descriptor) = fs::read(device.join("report_descriptor")) else {
        return false;
    };
    if !is_fido(&descriptor) {
        return false;
    }
    match fs::read_to_string(device.join("uevent")) {
        Ok(uevent) => bus(&uevent).is_none_or(|bus| bus == BUS_USB),
        Err(_) => true,
    }
}

/// The bus of `HID_ID=BBBB:VVVVVVVV:PPPPPPPP` in a HID device's uevent.
fn bus(uevent: &str) -> Option<u32> {
    let id = uevent
        .lines()
        .find_map(|line| line.strip_prefix("HID_ID="))?;
    u32::from_str_radix(id.split(':').next()?, 16).ok()
}

/// Whether a HID report descriptor declares a top-level collection with the FIDO usage
/// (page 0xF1D0, usage 0x01). Short items only (long items are skipped); the usage page is
/// global (with Push/Pop), usages are local (cleared by each main item). Malformed input gives
/// `false`, never a panic.
pub(super) fn is_fido(descriptor: &[u8]) -> bool {
    let mut page: u16 = 0;
    let mut pushed: Vec<u16> = Vec::new();
    let mut usages: Vec<(u16, u16)> = Vec::new();
    let mut depth: usize = 0;
    let mut rest = descriptor;
    while let Some((&prefix, tail)) = rest.split_first() {
        if prefix == 0xFE {
            // Long item: 0xFE, data size, tag, data.
            let Some(&size) = tail.first() else {
                return false;
            };
            let Some(after) = tail.get(2 + usize::from(size)..) else {
                return false;
            };
            rest = after;
            continue;
        }
        let size = match prefix & 0x03 {
            3 => 4,
            n => usize::from(n),
        };
        let Some(data) = tail.get(..size) else {
            return false;
        };
        rest = &tail[size..];
        let value = data
            .iter()
            .rev()
            .fold(0u32, |acc, &byte| (acc << 8) | u32::from(byte));
        // Tag and type without the size bits.
        match prefix & 0xFC {
            // Global: Usage Page, Push, Pop.
            0x04 => page = value as u16,
            0xA4 => pushed.push(page),
            0xB4 => page = pushed.pop().unwrap_or(page),
            // Local: Usage. Four bytes carry their own page.
            0x08 if size == 4 => usages.push(((value >> 16) as u16, value as u16)),
            0x08 => usages.push((page, value as u16)),
            // Main: Collection.
            0xA0 => {
                if depth == 0 && usages.contains(&(FIDO_USAGE_PAGE, FIDO_USAGE_CTAPHID)) {
                    return true;
                }
                depth += 1;
                usages.clear();
            }
            // Main: End Collection.
            0xC0 => {
                depth = depth.saturating_sub(1);
                usages.clear();
            }
            // Main: Input, Output, Feature.
            0x80 | 0x90 | 0xB0 => usages.clear(),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The FIDO U2F/CTAPHID descriptor YubiKeys, Feitian and Token2 keys report.
    const FIDO: &[u8] = &[
        0x06, 0xD0, 0xF1, 0x09, 0x01, 0xA1, 0x01, 0x09, 0x20, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75,
        0x08, 0x95, 0x40, 0x81, 0x02, 0x09, 0x21, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95,
        0x40, 0x91, 0x02, 0xC0,
    ];

    /// A boot keyboard (a YubiKey's OTP interface looks like this).
    const KEYBOARD: &str = "05010906a101050719e029e71500250175019508810295017508810395057501050819012905910295017503910395067508150025650507190029658100090375089540b102c0";

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_fido_descriptor_is_fido_and_a_keyboard_is_not() {
        assert!(is_fido(FIDO));
        assert!(!is_fido(&hex(KEYBOARD)));
    }

    #[test]
    fn usages_may_name_their_page_or_use_two_bytes() {
        // Usage (F1D0:0001) as one four-byte item, no Usage Page item.
        assert!(is_fido(&[0x0B, 0x01, 0x00, 0xD0, 0xF1, 0xA1, 0x01, 0xC0]));
        // Usage Page then a two-byte Usage.
        assert!(is_fido(&[
            0x06, 0xD0, 0xF1, 0x0A, 0x01, 0x00, 0xA1, 0x01, 0xC0
        ]));
        // Another usage on the FIDO page is not CTAPHID.
        assert!(!is_fido(&[0x06, 0xD0, 0xF1, 0x09, 0x02, 0xA1, 0x01, 0xC0]));
    }

    #[test]
    fn only_top_level_collections_and_their_own_usages_count() {
        // Inside a vendor collection: not a FIDO device.
        assert!(!is_fido(&[
            0x06, 0x00, 0xFF, 0x09, 0x01, 0xA1, 0x01, 0x06, 0xD0, 0xF1, 0x09, 0x01, 0xA1, 0x02,
            0xC0, 0xC0,
        ]));
        // The usage was used up by a main item before the collection.
        assert!(!is_fido(&[
            0x06, 0xD0, 0xF1, 0x09, 0x01, 0x81, 0x02, 0xA1, 0x01, 0xC0
        ]));
        // Push/Pop restore the page: the FIDO usage comes after a Pop back to 0xF1D0.
        assert!(is_fido(&[
            0x06, 0xD0, 0xF1, 0xA4, 0x05, 0x01, 0xB4, 0x09, 0x01, 0xA1, 0x01, 0xC0
        ]));
        // A long item is skipped.
        assert!(is_fido(&[
            0xFE, 0x01, 0x10, 0xAA, 0x0B, 0x01, 0x00, 0xD0, 0xF1, 0xA1, 0x01
        ]));
    }

    #[test]
    fn malformed_descriptors_are_not_fido() {
        for bad in [
            &[][..],
            &[0x06, 0xD0],
            &[0x0B, 0x01, 0x00, 0xD0],
            &[0xFE],
            &[0xFE, 0x05, 0x01],
        ] {
            assert!(!is_fido(bad), "{bad:02x?}");
        }
        // Every prefix of a real descriptor parses without panicking.
        for end in 0..FIDO.len() {
            is_fido(&FIDO[..end]);
        }
    }

    #[test]
    fn permission_errors_are_told_apart_from_the_rest() {
        const EPERM: i32 = 1;
        const ENOENT: i32 = 2;
        const EACCES: i32 = 13;
        const EBUSY: i32 = 16;
        let error = |code| Err(io::Error::from_raw_os_error(code));
        assert_eq!(classify(&Ok(())), Access::Open);
        assert_eq!(classify(&error(EACCES)), Access::Denied);
        assert_eq!(classify(&error(EPERM)), Access::Denied);
        assert_eq!(classify(&error(ENOENT)), Access::Other);
        assert_eq!(classify(&error(EBUSY)), Access::Other);
    }

    /// A sysfs hidraw class directory and /dev with `nodes`: (name, descriptor, bus).
    fn fake_tree(nodes: &[(&str, &[u8], &str)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("dev")).unwrap();
        for (name, descriptor, bus) in nodes {
            let device = root.path().join("sys").join(name).join("device");
            fs::create_dir_all(&device).unwrap();
            fs::write(device.join("report_descriptor"), descriptor).unwrap();
            let uevent = format!("DRIVER=hid-generic\nHID_ID={bus}:00001050:00000407\n");
            fs::write(device.join("uevent"), uevent).unwrap();
            fs::write(root.path().join("dev").join(name), b"").unwrap();
        }
        root
    }

    fn denied_with(root: &Path, refused: &[&str]) -> Vec<PathBuf> {
        denied_fido_nodes(&root.join("sys"), &root.join("dev"), |path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            if refused.contains(&name) {
                Err(io::Error::from_raw_os_error(13))
            } else {
                open_read_write(path)
            }
        })
    }

    #[test]
    fn a_fido_node_that_cannot_be_opened_is_reported() {
        let keyboard = hex(KEYBOARD);
        let tree = fake_tree(&[
            ("hidraw0", &keyboard, "0003"),
            ("hidraw1", FIDO, "0003"),
            ("hidraw2", FIDO, "0003"),
        ]);
        // hidraw1 is refused; hidraw2 opens; the keyboard is refused but is not a key.
        assert_eq!(
            denied_with(tree.path(), &["hidraw0", "hidraw1"]),
            vec![tree.path().join("dev/hidraw1")]
        );
        // Everything opens: nothing to report.
        assert_eq!(denied_with(tree.path(), &[]), Vec::<PathBuf>::new());
    }

    #[test]
    fn non_usb_and_vanished_nodes_are_not_reported() {
        let tree = fake_tree(&[("hidraw0", FIDO, "0005"), ("hidraw1", FIDO, "0003")]);
        // hidraw0 is Bluetooth (fido-hid-rs ignores it); hidraw1's device file is gone.
        fs::remove_file(tree.path().join("dev/hidraw1")).unwrap();
        assert_eq!(
            denied_with(tree.path(), &["hidraw0"]),
            Vec::<PathBuf>::new()
        );
        // No sysfs directory at all (no hidraw driver): nothing, no error.
        let none = tempfile::tempdir().unwrap();
        assert_eq!(denied_with(none.path(), &[]), Vec::<PathBuf>::new());
    }
}
