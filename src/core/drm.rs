//! DRM device nodes (`/dev/dri/card*`, `/dev/dri/renderD*`) and finding the Vulkan physical
//! device behind one.
//!
//! A compositor is handed a DRM node (by the session, by dmabuf feedback, by a lease) and must
//! render on that very GPU, or every buffer crosses devices. Vulkan names its devices by DRM
//! ids (`VK_EXT_physical_device_drm`) or PCI address (`VK_EXT_pci_bus_info`), and either may
//! be missing or name only one of a GPU's nodes; sysfs links a node to its sibling nodes and
//! its PCI address, which closes the gaps.

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io;
use std::ops::RangeInclusive;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

pub use crate::drm_types::{DrmError, NoMatch};
use std::str::FromStr;

/// Linux DRM char-device major number.
pub const DRM_MAJOR: u32 = 226;

/// The kernel hands out DRM minors in blocks of this size, one block per node kind.
const MINORS_PER_KIND: u32 = 64;

/// What a DRM node gives access to; the kind follows from the node's minor number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// `card<N>` (minors 0..=63): modesetting and rendering, needs DRM master for KMS.
    Primary,
    /// `controlD<N>` (minors 64..=127): a legacy kind modern kernels no longer create.
    Control,
    /// `renderD<N>` (minors 128..=191): rendering only, open to unprivileged clients.
    Render,
}

impl NodeKind {
    /// The kind a DRM minor number denotes, or `None` outside the ranges `0..=63` (primary),
    /// `64..=127` (control) and `128..=191` (render).
    pub fn from_minor(minor: u32) -> Option<NodeKind> {
        match minor / MINORS_PER_KIND {
            0 => Some(NodeKind::Primary),
            1 => Some(NodeKind::Control),
            2 => Some(NodeKind::Render),
            _ => None,
        }
    }

    /// The kind's name in messages: `primary`, `control` or `render`.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Primary => "primary",
            NodeKind::Control => "control",
            NodeKind::Render => "render",
        }
    }

    /// The kind of a `/dev/dri` entry by its name (`card0`, `controlD64`, `renderD128`).
    fn from_node_name(name: &str) -> Option<NodeKind> {
        let (kind, number) = [
            ("card", NodeKind::Primary),
            ("controlD", NodeKind::Control),
            ("renderD", NodeKind::Render),
        ]
        .into_iter()
        .find_map(|(prefix, kind)| Some((kind, name.strip_prefix(prefix)?)))?;
        let is_number = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        is_number.then_some(kind)
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A device number split into major and minor, displayed as `226:128`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DevId {
    /// The driver class (226 for DRM).
    pub major: u32,
    /// The device within the class.
    pub minor: u32,
}

impl DevId {
    /// Splits a Linux `dev_t` (as from `stat`'s `st_rdev`) the way glibc's `major()` and
    /// `minor()` do.
    pub fn from_dev_t(dev: u64) -> DevId {
        // Both numbers are split in two so that the old 16-bit layout (major in bits 8..16,
        // minor in bits 0..8) stays valid: major's high bits sit at 44..64, minor's at 20..44.
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & 0xffff_f000);
        let minor = (dev & 0xff) | ((dev >> 12) & 0xffff_ff00);
        // Lossless: both are masked to 32 bits above.
        DevId {
            major: major as u32,
            minor: minor as u32,
        }
    }

    /// Joins major and minor into a Linux `dev_t`, the inverse of [`DevId::from_dev_t`].
    pub fn to_dev_t(self) -> u64 {
        let major = u64::from(self.major);
        let minor = u64::from(self.minor);
        ((major & 0xfff) << 8) | ((major & !0xfff) << 32) | (minor & 0xff) | ((minor & !0xff) << 12)
    }

    /// Parses the `226:128` form sysfs `dev` files hold (trailing newline allowed).
    fn parse_sysfs(text: &str) -> Option<DevId> {
        let (major, minor) = text.trim().split_once(':')?;
        Some(DevId {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl fmt::Display for DevId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.major, self.minor)
    }
}

/// A PCI function's address, displayed and parsed in the kernel's `0000:01:00.0` form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PciAddress {
    /// The PCI segment; 0 on most machines.
    pub domain: u32,
    /// The bus within the domain.
    pub bus: u8,
    /// The device on the bus, below 32.
    pub device: u8,
    /// The function of the device, below 8.
    pub function: u8,
}

impl fmt::Display for PciAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

impl FromStr for PciAddress {
    type Err = ParsePciAddressError;

    fn from_str(text: &str) -> Result<PciAddress, ParsePciAddressError> {
        parse_pci_address(text).ok_or_else(|| ParsePciAddressError {
            input: text.to_owned(),
        })
    }
}

/// A string that is not a PCI address in the `0000:01:00.0` form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a PCI address (expected domain:bus:device.function in hex, e.g. 0000:01:00.0)")]
pub struct ParsePciAddressError {
    /// The rejected text.
    pub input: String,
}

fn parse_pci_address(text: &str) -> Option<PciAddress> {
    let (domain, rest) = text.split_once(':')?;
    let (bus, rest) = rest.split_once(':')?;
    let (device, function) = rest.split_once('.')?;
    let address = PciAddress {
        // The kernel prints at least four domain digits; some hosts (Intel VMD) use more.
        domain: hex_field(domain, 4..=8)?,
        bus: hex_field(bus, 2..=2)?,
        device: hex_field(device, 2..=2)?,
        function: hex_field(function, 1..=1)?,
    };
    (address.device < 32 && address.function < 8).then_some(address)
}

/// A hex number of a given digit count that fits `T`.
fn hex_field<T: TryFrom<u32>>(text: &str, digits: RangeInclusive<usize>) -> Option<T> {
    // from_str_radix alone would also take a leading `+`.
    let well_formed = digits.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return None;
    }
    T::try_from(u32::from_str_radix(text, 16).ok()?).ok()
}

/// Where sysfs is mounted; injectable so tests can use a fake tree.
#[derive(Clone, Debug)]
pub struct Sysfs {
    root: PathBuf,
}

impl Sysfs {
    /// The system's sysfs, at `/sys`.
    pub fn system() -> Sysfs {
        Sysfs::at("/sys")
    }

    /// A sysfs tree mounted (or faked) at `root`.
    pub fn at(root: impl Into<PathBuf>) -> Sysfs {
        Sysfs { root: root.into() }
    }

    /// The directory the tree starts at.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The bus device (PCI function, platform device) behind a char device: every node of
    /// one GPU leads to the same one.
    fn bus_device(&self, id: DevId) -> PathBuf {
        self.root
            .join("dev/char")
            .join(id.to_string())
            .join("device")
    }
}

impl Default for Sysfs {
    fn default() -> Sysfs {
        Sysfs::system()
    }
}

/// A DRM device node (e.g. /dev/dri/card0 or /dev/dri/renderD128).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DrmNode {
    id: DevId,
    kind: NodeKind,
    path: Option<PathBuf>,
}

impl DrmNode {
    /// The node at `path`, which must be a DRM character device; the path is remembered for
    /// messages.
    ///
    /// # Errors
    ///
    /// [`DrmError::Io`] when `path` cannot be inspected, [`DrmError::NotDrm`] when it is not
    /// a character device with the DRM major and a DRM minor.
    pub fn from_path(path: impl AsRef<Path>) -> Result<DrmNode, DrmError> {
        let path = path.as_ref();
        let metadata = fs::metadata(path).map_err(|source| DrmError::Io {
            path: path.to_owned(),
            source,
        })?;
        let node = DrmNode::from_metadata(&metadata, &path.display().to_string())?;
        Ok(DrmNode {
            path: Some(path.to_owned()),
            ..node
        })
    }

    /// The node an open descriptor refers to, which must be a DRM character device.
    ///
    /// # Errors
    ///
    /// As for [`DrmNode::from_path`]; the descriptor stands in for the path in messages.
    pub fn from_fd(fd: BorrowedFd<'_>) -> Result<DrmNode, DrmError> {
        let fd_path = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        let io_error = |source| DrmError::Io {
            path: fd_path.clone(),
            source,
        };
        // A duplicate, so that dropping the File closes only the copy.
        let file = fs::File::from(fd.try_clone_to_owned().map_err(io_error)?);
        let metadata = file.metadata().map_err(io_error)?;
        DrmNode::from_metadata(&metadata, &format!("fd {}", fd.as_raw_fd()))
    }

    /// The node with device number `id`, without touching the filesystem.
    ///
    /// The major must be [`DRM_MAJOR`] just as for real nodes: Linux registers every DRM
    /// node under it, and the ids Vulkan reports come from the kernel, so another major is
    /// another device class whose minor only looks like a DRM one (`/dev/null` is 1:3).
    ///
    /// # Errors
    ///
    /// [`DrmError::NotDrm`] for another major or a minor outside the DRM ranges.
    pub fn from_dev_id(id: DevId) -> Result<DrmNode, DrmError> {
        let kind = drm_kind(id).map_err(|why| DrmError::NotDrm {
            what: format!("device {id}"),
            why,
        })?;
        Ok(DrmNode {
            id,
            kind,
            path: None,
        })
    }

    fn from_metadata(metadata: &fs::Metadata, what: &str) -> Result<DrmNode, DrmError> {
        let not_drm = |why: String| DrmError::NotDrm {
            what: what.to_owned(),
            why,
        };
        if !metadata.file_type().is_char_device() {
            return Err(not_drm("not a character device".to_owned()));
        }
        let id = DevId::from_dev_t(metadata.rdev());
        let kind = drm_kind(id).map_err(not_drm)?;
        Ok(DrmNode {
            id,
            kind,
            path: None,
        })
    }

    /// The node's device number.
    pub fn id(&self) -> DevId {
        self.id
    }

    /// What the node gives access to.
    pub fn kind(&self) -> NodeKind {
        self.kind
    }

    /// The path the node was opened at, when it came from one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The render node of the same GPU: itself when it is one, else found through sysfs:
    /// `<root>/dev/char/<maj>:<min>/device/drm/renderD*/dev` (file content `226:128\n`).
    pub fn render_node(&self, sysfs: &Sysfs) -> Option<DrmNode> {
        self.sibling(NodeKind::Render, sysfs)
    }

    /// The primary node of the same GPU (same scheme, `card*` entries).
    pub fn primary_node(&self, sysfs: &Sysfs) -> Option<DrmNode> {
        self.sibling(NodeKind::Primary, sysfs)
    }

    /// The PCI address of the GPU behind the node, from the `PCI_SLOT_NAME=0000:01:00.0` line
    /// of `<root>/dev/char/<maj>:<min>/device/uevent`; `None` for platform-bus devices (whose
    /// uevent has no such line, e.g. only `DRIVER` and `OF_NAME`) or when the file is missing.
    pub fn pci_address(&self, sysfs: &Sysfs) -> Option<PciAddress> {
        let uevent = fs::read_to_string(sysfs.bus_device(self.id).join("uevent")).ok()?;
        let slot = uevent
            .lines()
            .find_map(|line| line.strip_prefix("PCI_SLOT_NAME="))?;
        slot.parse()
            .inspect_err(|err| tracing::warn!(node = %self, "sysfs uevent: {err}"))
            .ok()
    }

    /// Every DRM node in `dev_dri` (normally `/dev/dri`: `card*`, `renderD*`), sorted by id;
    /// empty when the directory is missing. Entries that are not DRM nodes are skipped.
    pub fn enumerate(dev_dri: &Path) -> Vec<DrmNode> {
        let entries = match fs::read_dir(dev_dri) {
            Ok(entries) => entries,
            Err(err) => {
                if err.kind() != io::ErrorKind::NotFound {
                    tracing::debug!("cannot list {}: {err}", dev_dri.display());
                }
                return Vec::new();
            }
        };
        let mut nodes: Vec<DrmNode> = entries
            .flatten()
            .filter(|entry| is_node_name(&entry.file_name()))
            .filter_map(|entry| {
                DrmNode::from_path(entry.path())
                    .inspect_err(|err| tracing::debug!("skipping {err}"))
                    .ok()
            })
            .collect();
        nodes.sort_by_key(|node| (node.id.major, node.id.minor));
        nodes
    }

    /// The node of `kind` on the same GPU.
    fn sibling(&self, kind: NodeKind, sysfs: &Sysfs) -> Option<DrmNode> {
        if self.kind == kind {
            return Some(self.clone());
        }
        let entries = fs::read_dir(sysfs.bus_device(self.id).join("drm")).ok()?;
        entries
            .flatten()
            .find_map(|entry| self.sibling_from_entry(&entry.file_name(), &entry.path(), kind))
    }

    /// The node a `<bus device>/drm/<name>` directory describes, if it is of `kind`.
    fn sibling_from_entry(&self, name: &OsStr, dir: &Path, kind: NodeKind) -> Option<DrmNode> {
        let name = name.to_str()?;
        if NodeKind::from_node_name(name)? != kind {
            return None;
        }
        let id = DevId::parse_sysfs(&fs::read_to_string(dir.join("dev")).ok()?)?;
        let node = DrmNode::from_dev_id(id)
            .ok()
            .filter(|node| node.kind == kind)?;
        Some(DrmNode {
            path: self.sibling_path(name, id),
            ..node
        })
    }

    /// The sibling's path, when it sits beside this node: the kernel names nodes
    /// `dri/card<N>` and `dri/renderD<N>`, but a node opened through a link such as
    /// `/dev/dri/by-path/…` has no such neighbour, so the guess is checked.
    fn sibling_path(&self, name: &str, id: DevId) -> Option<PathBuf> {
        let candidate = self.path.as_deref()?.parent()?.join(name);
        let found = DrmNode::from_path(&candidate).ok()?;
        (found.id == id).then_some(candidate)
    }
}

impl fmt::Display for DrmNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{} ({} {})", path.display(), self.kind, self.id),
            None => write!(f, "DRM {} node {}", self.kind, self.id),
        }
    }
}

/// The node kind of a device number, or why it is not a DRM one.
fn drm_kind(id: DevId) -> Result<NodeKind, String> {
    if id.major != DRM_MAJOR {
        return Err(format!(
            "major {}, DRM nodes have major {DRM_MAJOR}",
            id.major
        ));
    }
    NodeKind::from_minor(id.minor).ok_or_else(|| {
        format!(
            "minor {} is outside the DRM ranges 0-63 (primary), 64-127 (control) and 128-191 (render)",
            id.minor
        )
    })
}

fn is_node_name(name: &OsStr) -> bool {
    name.to_str().and_then(NodeKind::from_node_name).is_some()
}

/// What one Vulkan physical device reports about where it lives; the device module fills
/// it from `VK_EXT_physical_device_drm` and `VK_EXT_pci_bus_info`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceLocation {
    /// The device name, for messages.
    pub name: String,
    /// `None` when the device lacks `VK_EXT_physical_device_drm`; the inner `Option`s are
    /// `None` when the extension says the device has no such node (`hasPrimary`/`hasRender`
    /// false).
    pub drm: Option<DrmIds>,
    /// `None` when the device lacks `VK_EXT_pci_bus_info`.
    pub pci: Option<PciAddress>,
}

impl DeviceLocation {
    /// Whether the device reports any of `ids` as its primary or render node.
    fn reports_any_of(&self, ids: &[DevId]) -> bool {
        self.drm.is_some_and(|drm| {
            [drm.primary, drm.render]
                .into_iter()
                .flatten()
                .any(|id| ids.contains(&id))
        })
    }

    /// One line of a [`NoMatch`] message.
    fn describe(&self) -> String {
        let drm = match self.drm {
            None => "DRM: VK_EXT_physical_device_drm not supported".to_owned(),
            Some(DrmIds {
                primary: None,
                render: None,
            }) => {
                "DRM: VK_EXT_physical_device_drm reports no primary and no render node".to_owned()
            }
            Some(DrmIds { primary, render }) => {
                format!(
                    "DRM primary {}, render {}",
                    or_none(primary),
                    or_none(render)
                )
            }
        };
        let pci = match self.pci {
            None => "PCI: VK_EXT_pci_bus_info not supported".to_owned(),
            Some(pci) => format!("PCI {pci}"),
        };
        format!("{}: {drm}; {pci}", self.name)
    }
}

/// The DRM nodes a device reports through `VK_EXT_physical_device_drm`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrmIds {
    /// The primary node, `None` when the extension says there is none.
    pub primary: Option<DevId>,
    /// The render node, `None` when the extension says there is none.
    pub render: Option<DevId>,
}

/// How a node was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// The device reports the node's id, or its sibling's, through `VK_EXT_physical_device_drm`.
    DrmNode,
    /// The device's `VK_EXT_pci_bus_info` address is the node's sysfs PCI address.
    PciBus,
}

/// What sysfs tells about a node's GPU.
struct NodeFacts {
    primary: Option<DevId>,
    render: Option<DevId>,
    pci: Option<PciAddress>,
}

impl NodeFacts {
    fn gather(node: &DrmNode, sysfs: &Sysfs) -> NodeFacts {
        NodeFacts {
            primary: node.primary_node(sysfs).map(|n| n.id),
            render: node.render_node(sysfs).map(|n| n.id),
            pci: node.pci_address(sysfs),
        }
    }

    /// The ids a device may report for the node's GPU.
    fn ids(&self, node: &DrmNode) -> Vec<DevId> {
        let siblings = self.primary.into_iter().chain(self.render);
        let mut ids = vec![node.id];
        ids.extend(siblings.filter(|&id| id != node.id));
        ids
    }

    /// `<node>: render sibling 226:129, PCI 0000:01:00.0`, for a [`NoMatch`] message.
    fn describe(&self, node: &DrmNode) -> String {
        let mut parts = Vec::new();
        if node.kind != NodeKind::Primary {
            parts.push(format!(
                "primary sibling {}",
                sibling_or_unknown(self.primary)
            ));
        }
        if node.kind != NodeKind::Render {
            parts.push(format!(
                "render sibling {}",
                sibling_or_unknown(self.render)
            ));
        }
        parts.push(match self.pci {
            Some(pci) => format!("PCI {pci}"),
            None => "PCI address unknown (platform bus or no sysfs entry)".to_owned(),
        });
        format!("{node}: {}", parts.join(", "))
    }
}

/// Picks the device behind `node` among `devices` (returns its index in the slice and how).
///
/// Order: (1) any device whose DRM ids contain the node's id, or the id of the node's sibling
/// (render node of a primary, primary of a render node, found via sysfs); (2) only if none
/// matched that way: the node's PCI address (via sysfs) against each device's `pci`.
/// If several devices match at the same step (should not happen), the first wins and a
/// warning is logged.
///
/// # Errors
///
/// [`NoMatch`] when no device matches either way; its message says why.
pub fn match_node(
    node: &DrmNode,
    devices: &[DeviceLocation],
    sysfs: &Sysfs,
) -> Result<(usize, MatchedBy), NoMatch> {
    let facts = NodeFacts::gather(node, sysfs);
    let ids = facts.ids(node);
    let by_drm = matching(devices, |device| device.reports_any_of(&ids));
    if let Some(index) = first_match(node, devices, &by_drm, MatchedBy::DrmNode) {
        return Ok((index, MatchedBy::DrmNode));
    }
    if let Some(pci) = facts.pci {
        let by_pci = matching(devices, |device| device.pci == Some(pci));
        if let Some(index) = first_match(node, devices, &by_pci, MatchedBy::PciBus) {
            return Ok((index, MatchedBy::PciBus));
        }
    }
    Err(NoMatch::new(node, &facts, devices, sysfs))
}

fn matching(devices: &[DeviceLocation], pred: impl Fn(&DeviceLocation) -> bool) -> Vec<usize> {
    (0..devices.len()).filter(|&i| pred(&devices[i])).collect()
}

/// The first of `matches`; more than one means the drivers report overlapping locations,
/// which is worth a warning because the choice is then arbitrary.
fn first_match(
    node: &DrmNode,
    devices: &[DeviceLocation],
    matches: &[usize],
    how: MatchedBy,
) -> Option<usize> {
    let (&first, rest) = matches.split_first()?;
    if !rest.is_empty() {
        let names: Vec<&str> = matches.iter().map(|&i| devices[i].name.as_str()).collect();
        tracing::warn!(
            ?how,
            "several Vulkan devices match {node}: {names:?}; using {}",
            devices[first].name
        );
    }
    tracing::debug!(?how, "{node} is Vulkan device {}", devices[first].name);
    Some(first)
}

impl NoMatch {
    fn new(
        node: &DrmNode,
        facts: &NodeFacts,
        devices: &[DeviceLocation],
        sysfs: &Sysfs,
    ) -> NoMatch {
        NoMatch {
            node: facts.describe(node),
            devices: devices.iter().map(DeviceLocation::describe).collect(),
            hints: hints(facts, devices, sysfs),
        }
    }
}

/// Explanations for the common dead ends, beyond what the device lines already show.
fn hints(facts: &NodeFacts, devices: &[DeviceLocation], sysfs: &Sysfs) -> Vec<String> {
    let mut hints = Vec::new();
    if !sysfs.root().is_dir() {
        hints.push(format!(
            "{} does not exist, so the node's siblings and PCI address could not be looked up \
             (is sysfs mounted?)",
            sysfs.root().display()
        ));
    }
    let any_drm_ids = devices
        .iter()
        .any(|d| d.drm.is_some_and(|ids| ids != DrmIds::default()));
    if !devices.is_empty() && !any_drm_ids && facts.pci.is_none() {
        hints.push(
            "no device reports DRM node ids and the node has no PCI address, so there is \
             nothing to compare; a driver with VK_EXT_physical_device_drm would be needed"
                .to_owned(),
        );
    }
    hints
}

fn or_none(id: Option<DevId>) -> String {
    id.map_or_else(|| "none".to_owned(), |id| id.to_string())
}

fn sibling_or_unknown(id: Option<DevId>) -> String {
    id.map_or_else(
        || "unknown (no sysfs entry)".to_owned(),
        |id| id.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::os::unix::fs::symlink;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A sysfs lookalike in a fresh temporary directory, removed on drop.
    struct FakeSysfs {
        root: PathBuf,
    }

    impl FakeSysfs {
        fn new() -> FakeSysfs {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!("vkcompose-drm-{}-{n}", std::process::id());
            let root = std::env::temp_dir().join(name);
            let _ = fs::remove_dir_all(&root);
            fs::create_dir_all(&root).unwrap();
            FakeSysfs { root }
        }

        fn sysfs(&self) -> Sysfs {
            Sysfs::at(&self.root)
        }

        /// A GPU on the PCI bus, as the kernel lays it out.
        fn add_pci_gpu(&self, slot: &str, driver: &str, card: u32, render: u32) {
            let uevent = format!("DRIVER={driver}\nPCI_SLOT_NAME={slot}\n");
            self.add_gpu(&format!("devices/pci0000:00/{slot}"), &uevent, card, render);
        }

        /// A GPU at `device_dir` (relative to the root) with a primary and a render node.
        fn add_gpu(&self, device_dir: &str, uevent: &str, card: u32, render: u32) {
            let device = self.root.join(device_dir);
            fs::create_dir_all(&device).unwrap();
            fs::write(device.join("uevent"), uevent).unwrap();
            self.add_node(device_dir, &format!("card{card}"), card);
            self.add_node(device_dir, &format!("renderD{render}"), render);
        }

        /// `<device>/drm/<name>/{dev,device}` and the `dev/char/226:<minor>` link to it.
        fn add_node(&self, device_dir: &str, name: &str, minor: u32) {
            let node_dir = self.root.join(device_dir).join("drm").join(name);
            fs::create_dir_all(&node_dir).unwrap();
            fs::write(node_dir.join("dev"), format!("{DRM_MAJOR}:{minor}\n")).unwrap();
            symlink("../..", node_dir.join("device")).unwrap();
            let dev_char = self.root.join("dev/char");
            fs::create_dir_all(&dev_char).unwrap();
            let target = Path::new("../..").join(device_dir).join("drm").join(name);
            symlink(target, dev_char.join(format!("{DRM_MAJOR}:{minor}"))).unwrap();
        }
    }

    impl Drop for FakeSysfs {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.root);
        }
    }

    fn id(minor: u32) -> DevId {
        DevId {
            major: DRM_MAJOR,
            minor,
        }
    }

    fn node(minor: u32) -> DrmNode {
        DrmNode::from_dev_id(id(minor)).unwrap()
    }

    fn pci(text: &str) -> PciAddress {
        text.parse().unwrap()
    }

    /// A device with `VK_EXT_physical_device_drm`, reporting the given minors.
    fn with_drm(
        name: &str,
        primary: Option<u32>,
        render: Option<u32>,
        pci_slot: Option<&str>,
    ) -> DeviceLocation {
        DeviceLocation {
            name: name.to_owned(),
            drm: Some(DrmIds {
                primary: primary.map(id),
                render: render.map(id),
            }),
            pci: pci_slot.map(pci),
        }
    }

    /// A device without `VK_EXT_physical_device_drm`.
    fn without_drm(name: &str, pci_slot: Option<&str>) -> DeviceLocation {
        DeviceLocation {
            name: name.to_owned(),
            drm: None,
            pci: pci_slot.map(pci),
        }
    }

    const INTEL: &str = "Intel(R) UHD Graphics 630";
    const NVIDIA: &str = "NVIDIA GeForce RTX 3060 Laptop GPU";

    /// Intel iGPU at 00:02.0 (card0, renderD128) and NVIDIA dGPU at 01:00.0 (card1,
    /// renderD129) whose driver reports no DRM nodes.
    fn hybrid_laptop() -> (FakeSysfs, Vec<DeviceLocation>) {
        let fake = FakeSysfs::new();
        fake.add_pci_gpu("0000:00:02.0", "i915", 0, 128);
        fake.add_pci_gpu("0000:01:00.0", "nvidia", 1, 129);
        let devices = vec![
            with_drm(INTEL, Some(0), Some(128), Some("0000:00:02.0")),
            with_drm(NVIDIA, None, None, Some("0000:01:00.0")),
        ];
        (fake, devices)
    }

    fn platform_gpu() -> FakeSysfs {
        let fake = FakeSysfs::new();
        let uevent = "DRIVER=panfrost\nOF_NAME=gpu\n";
        fake.add_gpu("devices/platform/soc/fd4ab000.gpu", uevent, 0, 128);
        fake
    }

    #[test]
    fn primary_node_matches_device_reporting_only_render_id() {
        let fake = FakeSysfs::new();
        fake.add_pci_gpu("0000:01:00.0", "nvidia", 1, 129);
        let devices = [with_drm("GPU", None, Some(129), None)];
        let found = match_node(&node(1), &devices, &fake.sysfs());
        assert_eq!(found, Ok((0, MatchedBy::DrmNode)));
    }

    #[test]
    fn render_node_matches_device_reporting_both_ids() {
        // No sysfs at all: the render id alone must be enough.
        let fake = FakeSysfs::new();
        let devices = [
            with_drm("other", Some(0), Some(128), None),
            with_drm("GPU", Some(1), Some(129), None),
        ];
        let found = match_node(&node(129), &devices, &fake.sysfs());
        assert_eq!(found, Ok((1, MatchedBy::DrmNode)));
    }

    #[test]
    fn render_node_matches_device_reporting_only_primary_id() {
        let fake = FakeSysfs::new();
        fake.add_pci_gpu("0000:01:00.0", "amdgpu", 1, 129);
        let devices = [with_drm("GPU", Some(1), None, None)];
        let found = match_node(&node(129), &devices, &fake.sysfs());
        assert_eq!(found, Ok((0, MatchedBy::DrmNode)));
    }

    #[test]
    fn sibling_lookup_follows_sysfs_links() {
        let fake = FakeSysfs::new();
        fake.add_pci_gpu("0000:01:00.0", "nvidia", 1, 129);
        let sysfs = fake.sysfs();
        assert_eq!(node(1).render_node(&sysfs), Some(node(129)));
        assert_eq!(node(129).primary_node(&sysfs), Some(node(1)));
        assert_eq!(node(1).primary_node(&sysfs), Some(node(1)));
        assert_eq!(node(129).pci_address(&sysfs), Some(pci("0000:01:00.0")));
        assert_eq!(node(2).render_node(&sysfs), None);
    }

    #[test]
    fn platform_gpu_matches_by_drm_ids() {
        let fake = platform_gpu();
        let devices = [with_drm("Mali-G52", Some(0), Some(128), None)];
        let found = match_node(&node(0), &devices, &fake.sysfs());
        assert_eq!(found, Ok((0, MatchedBy::DrmNode)));
        assert_eq!(node(0).pci_address(&fake.sysfs()), None);
    }

    #[test]
    fn platform_gpu_without_drm_ext_reports_unknown_pci_address() {
        let fake = platform_gpu();
        let devices = [without_drm("Mali-G52", None)];
        let err = match_node(&node(0), &devices, &fake.sysfs()).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("PCI address unknown"), "{message}");
        assert!(message.contains("render sibling 226:128"), "{message}");
        assert!(
            message.contains("VK_EXT_physical_device_drm not supported"),
            "{message}"
        );
        assert!(message.contains("nothing to compare"), "{message}");
    }

    #[test]
    fn device_without_drm_ext_matches_by_pci_address() {
        let fake = FakeSysfs::new();
        fake.add_pci_gpu("0000:01:00.0", "nvidia", 1, 129);
        let devices = [
            without_drm("other", Some("0000:02:00.0")),
            without_drm("GPU", Some("0000:01:00.0")),
        ];
        let found = match_node(&node(129), &devices, &fake.sysfs());
        assert_eq!(found, Ok((1, MatchedBy::PciBus)));
    }

    #[test]
    fn hybrid_laptop_dgpu_primary_matches_nvidia_by_pci() {
        let (fake, devices) = hybrid_laptop();
        let found = match_node(&node(1), &devices, &fake.sysfs());
        assert_eq!(found, Ok((1, MatchedBy::PciBus)));
    }

    #[test]
    fn hybrid_laptop_igpu_render_node_matches_intel_by_drm() {
        let (fake, devices) = hybrid_laptop();
        let found = match_node(&node(128), &devices, &fake.sysfs());
        assert_eq!(found, Ok((0, MatchedBy::DrmNode)));
    }

    #[test]
    fn hybrid_laptop_igpu_primary_matches_intel() {
        let (fake, devices) = hybrid_laptop();
        let found = match_node(&node(0), &devices, &fake.sysfs());
        assert_eq!(found, Ok((0, MatchedBy::DrmNode)));
    }

    #[test]
    fn several_matches_pick_the_first() {
        let fake = FakeSysfs::new();
        let devices = [
            with_drm("first", Some(0), None, None),
            with_drm("second", None, Some(0), None),
        ];
        let found = match_node(&node(0), &devices, &fake.sysfs());
        assert_eq!(found, Ok((0, MatchedBy::DrmNode)));
    }

    #[test]
    fn unmatched_node_message_names_node_and_every_device() {
        let (fake, mut devices) = hybrid_laptop();
        fake.add_pci_gpu("0000:02:00.0", "amdgpu", 2, 130);
        devices.push(without_drm("llvmpipe (LLVM 17.0.6, 256 bits)", None));
        let err = match_node(&node(2), &devices, &fake.sysfs()).unwrap_err();
        let message = err.to_string();
        let expected = [
            "no Vulkan device matches DRM primary node 226:2",
            "render sibling 226:130",
            "PCI 0000:02:00.0",
            INTEL,
            "DRM primary 226:0, render 226:128; PCI 0000:00:02.0",
            NVIDIA,
            "reports no primary and no render node; PCI 0000:01:00.0",
            "llvmpipe",
            "VK_EXT_pci_bus_info not supported",
        ];
        for part in expected {
            assert!(message.contains(part), "missing {part:?} in:\n{message}");
        }
        assert_eq!(err.devices.len(), 3);
        assert!(err.hints.is_empty(), "{message}");
    }

    #[test]
    fn unmatched_node_without_devices_or_sysfs_says_so() {
        let sysfs = Sysfs::at("/nonexistent/vkcompose-sysfs");
        let message = match_node(&node(128), &[], &sysfs).unwrap_err().to_string();
        assert!(
            message.contains("the Vulkan loader reports no devices"),
            "{message}"
        );
        assert!(message.contains("primary sibling unknown"), "{message}");
        assert!(message.contains("is sysfs mounted?"), "{message}");
    }

    #[test]
    fn dev_t_round_trips() {
        let ids = [
            id(0),
            id(128),
            DevId { major: 1, minor: 3 },
            DevId {
                major: 0xfff,
                minor: 0xff,
            },
            DevId {
                major: 0x1000,
                minor: 0x100,
            },
            DevId {
                major: 0xabcd_e123,
                minor: 0x9876_5432,
            },
            DevId {
                major: u32::MAX,
                minor: u32::MAX,
            },
        ];
        for dev_id in ids {
            assert_eq!(DevId::from_dev_t(dev_id.to_dev_t()), dev_id);
        }
    }

    #[test]
    fn dev_t_uses_the_glibc_layout() {
        assert_eq!(DevId::from_dev_t(0xe280), id(128));
        assert_eq!(id(128).to_dev_t(), 0xe280);
        assert_eq!(
            DevId {
                major: 0x1234,
                minor: 0x5678
            }
            .to_dev_t(),
            0x1000_0562_3478
        );
        assert_eq!(id(128).to_string(), "226:128");
    }

    #[test]
    fn node_kind_follows_minor() {
        assert_eq!(NodeKind::from_minor(0), Some(NodeKind::Primary));
        assert_eq!(NodeKind::from_minor(63), Some(NodeKind::Primary));
        assert_eq!(NodeKind::from_minor(64), Some(NodeKind::Control));
        assert_eq!(NodeKind::from_minor(128), Some(NodeKind::Render));
        assert_eq!(NodeKind::from_minor(191), Some(NodeKind::Render));
        assert_eq!(NodeKind::from_minor(192), None);
        let err = DrmNode::from_dev_id(id(192)).unwrap_err().to_string();
        assert!(err.contains("minor 192"), "{err}");
    }

    #[test]
    fn pci_address_round_trips() {
        for text in [
            "0000:01:00.0",
            "0000:00:02.0",
            "10000:e1:1f.7",
            "ffff:ff:00.3",
        ] {
            assert_eq!(pci(text).to_string(), text);
        }
        let parsed = pci("0000:0A:1F.1");
        let expected = PciAddress {
            domain: 0,
            bus: 0x0a,
            device: 0x1f,
            function: 1,
        };
        assert_eq!(parsed, expected);
    }

    #[test]
    fn pci_address_rejects_garbage() {
        let bad = [
            "",
            "garbage",
            "0000:01:00",
            "0000:01:00.",
            "0:01:00.0",
            "0000:1:00.0",
            "0000:01:0.0",
            "0000:01:00.8",
            "0000:01:20.0",
            "0000:01:00.00",
            "+000:01:00.0",
            "0000:01:00.0\n",
            "0000-01-00.0",
            "123456789:01:00.0",
            "0000:0g:00.0",
        ];
        for text in bad {
            let err = text.parse::<PciAddress>().unwrap_err();
            assert_eq!(err.input, text);
        }
    }

    #[test]
    fn node_display_shows_path_kind_and_id() {
        assert_eq!(node(128).to_string(), "DRM render node 226:128");
        let with_path = DrmNode {
            path: Some("/dev/dri/renderD128".into()),
            ..node(128)
        };
        assert_eq!(
            with_path.to_string(),
            "/dev/dri/renderD128 (render 226:128)"
        );
    }

    #[test]
    fn from_path_rejects_regular_file() {
        let fake = FakeSysfs::new();
        let file = fake.root.join("card0");
        fs::write(&file, "").unwrap();
        let err = DrmNode::from_path(&file).unwrap_err();
        assert!(matches!(err, DrmError::NotDrm { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(&file.display().to_string()), "{message}");
        assert!(message.contains("not a character device"), "{message}");
    }

    #[test]
    fn from_path_reports_missing_path_as_io() {
        let err = DrmNode::from_path("/nonexistent/dri/card0").unwrap_err();
        assert!(matches!(err, DrmError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/dri/card0"));
    }

    #[test]
    fn from_path_rejects_dev_null_by_major() {
        let err = DrmNode::from_path("/dev/null").unwrap_err();
        assert!(matches!(err, DrmError::NotDrm { .. }), "{err:?}");
        assert!(err.to_string().contains("major 1"), "{err}");
    }

    #[test]
    fn from_fd_rejects_non_drm_files() {
        let null = fs::File::open("/dev/null").unwrap();
        let err = DrmNode::from_fd(null.as_fd()).unwrap_err();
        assert!(err.to_string().contains("major 1"), "{err}");
        let fake = FakeSysfs::new();
        let path = fake.root.join("file");
        fs::write(&path, "").unwrap();
        let file = fs::File::open(&path).unwrap();
        let err = DrmNode::from_fd(file.as_fd()).unwrap_err();
        assert!(err.to_string().contains("not a character device"), "{err}");
    }

    #[test]
    fn from_dev_id_rejects_other_majors() {
        let err = DrmNode::from_dev_id(DevId { major: 1, minor: 3 }).unwrap_err();
        assert!(err.to_string().contains("major 1"), "{err}");
    }

    #[test]
    fn enumerate_missing_dir_is_empty() {
        assert!(DrmNode::enumerate(Path::new("/nonexistent/dev/dri")).is_empty());
    }

    #[test]
    fn enumerate_skips_entries_that_are_not_nodes() {
        let fake = FakeSysfs::new();
        for name in ["card0", "renderD128", "by-path"] {
            fs::write(fake.root.join(name), "").unwrap();
        }
        assert!(DrmNode::enumerate(&fake.root).is_empty());
    }
}
