//! `vkcompose info`: like `vulkaninfo --summary`, but about what vkcompose will do. Lists
//! every Vulkan device with the fast path or fallback it gets in each area, the DRM nodes
//! and the device each belongs to, then selects and creates a device the way a compositor
//! would and shows its queues and memory.
//!
//! ```text
//! cargo run --example info [-- --device <selector>] [--validation] [--extensions] [--modifiers]
//! ```

use std::path::Path;

use vkcompose::drm::{match_node, DeviceLocation, DrmIds, DrmNode, MatchedBy, Sysfs};
use vkcompose::{
    select_device, uuid_text, vk, Capabilities, Device, DeviceBuilder, DeviceSelector, Instance,
    InstanceOptions, PhysicalDevice, PhysicalDeviceInfo, Version, DEVICE_ENV,
};

const USAGE: &str = "\
usage: info [--device SELECTOR] [--validation] [--extensions] [--modifiers]

  --device SELECTOR  best (default), an index, a device UUID, a /dev/dri node or
                     name:<text>; VKCOMPOSE_DEVICE overrides it
  --validation       enable the Khronos validation layer (also VKCOMPOSE_VALIDATION=1)
  --extensions       list every extension each device offers
  --modifiers        print the chosen device's dma-buf modifier table";

/// Labels are padded to this width so that values line up.
const LABEL_WIDTH: usize = 16;

struct Options {
    selector: DeviceSelector,
    validation: bool,
    extensions: bool,
    modifiers: bool,
}

enum Command {
    Help,
    Info(Options),
}

fn parse_args() -> Result<Command, String> {
    let mut options = Options {
        selector: DeviceSelector::Best,
        validation: false,
        extensions: false,
        modifiers: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--device" => {
                let text = args
                    .next()
                    .ok_or("--device needs a selector (try --help)")?;
                options.selector = DeviceSelector::parse(&text).map_err(|e| e.to_string())?;
            }
            "--validation" => options.validation = true,
            "--extensions" => options.extensions = true,
            "--modifiers" => options.modifiers = true,
            "--help" | "-h" => return Ok(Command::Help),
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(Command::Info(options))
}

fn main() {
    let options = match parse_args() {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return;
        }
        Ok(Command::Info(options)) => options,
        Err(message) => {
            eprintln!("info: {message}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(&options) {
        eprintln!("info: {error}");
        std::process::exit(1);
    }
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let instance = Instance::new(&InstanceOptions {
        validation: options.validation,
        ..Default::default()
    })?;
    print_instance(&instance);
    let devices = PhysicalDevice::enumerate(&instance)?;
    print_physical_devices(&devices, options.extensions);
    print_drm_nodes(&devices);
    print_chosen_device(&instance, &options.selector, options.modifiers)?;
    if instance.validation_enabled() {
        let errors = instance.messages().error_count();
        field(
            "validation",
            format!("{errors} error(s) reported so far"),
            2,
        );
    }
    Ok(())
}

/// One aligned `label  value` line, `indent` spaces in.
fn field(label: &str, value: impl std::fmt::Display, indent: usize) {
    println!("{:indent$}{label:<LABEL_WIDTH$} {value}", "");
}

fn print_instance(instance: &Instance) {
    println!("Instance");
    field("Vulkan", Version(instance.api_version()), 2);
    let validation = match (
        instance.validation_enabled(),
        instance.synchronization_validation_enabled(),
    ) {
        (true, true) => "on, with synchronization validation",
        (true, false) => "on",
        _ => "off",
    };
    field("validation", validation, 2);
}

fn print_physical_devices(devices: &[PhysicalDevice], list_extensions: bool) {
    println!();
    println!("Physical devices");
    if devices.is_empty() {
        println!("  none: the Vulkan loader reports no devices (is a Vulkan driver installed?)");
    }
    for (position, device) in devices.iter().enumerate() {
        if position > 0 {
            println!();
        }
        print_device_facts(device.info(), list_extensions);
        print_capabilities(device.info());
    }
}

fn print_device_facts(info: &PhysicalDeviceInfo, list_extensions: bool) {
    let driver = &info.driver;
    println!("[{}] {} ({})", info.index, info.name, info.device_type);
    field(
        "driver",
        format!("{}, {} ({:?})", driver.name, driver.info, driver.id),
        4,
    );
    field("API version", info.api_version, 4);
    field(
        "vendor:device",
        format!("{:#06x}:{:#06x}", info.vendor_id, info.device_id),
        4,
    );
    field("device UUID", uuid_text(&info.device_uuid), 4);
    field("driver UUID", uuid_text(&info.driver_uuid), 4);
    field(
        "PCI address",
        info.pci
            .map_or_else(|| "no VK_EXT_pci_bus_info".into(), |pci| pci.to_string()),
        4,
    );
    field("DRM nodes", drm_ids_text(info.drm), 4);
    for (index, heap) in info.memory_heaps.iter().enumerate() {
        let kind = if heap.device_local {
            "device-local"
        } else {
            "host"
        };
        field(
            &format!("memory heap {index}"),
            format!("{:>8}  {kind}", size_text(heap.size)),
            4,
        );
    }
    for family in &info.queue_families {
        field(
            &format!("queue family {}", family.index),
            format!("{} x {}", family.count, queue_flags_text(family.flags)),
            4,
        );
    }
    field("extensions", info.extensions.len(), 4);
    if list_extensions {
        for extension in &info.extensions {
            println!("      {extension}");
        }
    }
    let limits = &info.limits;
    field(
        "max 2D image",
        format!("{0}x{0}", limits.max_image_dimension_2d),
        4,
    );
    field(
        "push constants",
        format!("{} bytes", limits.max_push_constants_size),
        4,
    );
    field(
        "host pointers",
        limits.min_imported_host_pointer_alignment.map_or_else(
            || "no VK_EXT_external_memory_host".into(),
            |alignment| format!("{alignment}-byte alignment"),
        ),
        4,
    );
}

fn drm_ids_text(drm: Option<DrmIds>) -> String {
    let id = |id: Option<vkcompose::drm::DevId>| id.map_or("none".into(), |id| id.to_string());
    match drm {
        None => "no VK_EXT_physical_device_drm".into(),
        Some(DrmIds {
            primary: None,
            render: None,
        }) => "no primary, no render node".into(),
        Some(ids) => format!("primary {}, render {}", id(ids.primary), id(ids.render)),
    }
}

/// `GRAPHICS|COMPUTE|TRANSFER`; bits this list does not know are shown in hex rather than
/// dropped, so a new driver's families are never misreported as empty.
fn queue_flags_text(flags: vk::QueueFlags) -> String {
    const NAMES: [(vk::QueueFlags, &str); 8] = [
        (vk::QueueFlags::GRAPHICS, "GRAPHICS"),
        (vk::QueueFlags::COMPUTE, "COMPUTE"),
        (vk::QueueFlags::TRANSFER, "TRANSFER"),
        (vk::QueueFlags::SPARSE_BINDING, "SPARSE_BINDING"),
        (vk::QueueFlags::PROTECTED, "PROTECTED"),
        (vk::QueueFlags::VIDEO_DECODE_KHR, "VIDEO_DECODE"),
        (vk::QueueFlags::VIDEO_ENCODE_KHR, "VIDEO_ENCODE"),
        (vk::QueueFlags::OPTICAL_FLOW_NV, "OPTICAL_FLOW"),
    ];
    let mut names: Vec<String> = NAMES
        .iter()
        .filter(|(flag, _)| flags.contains(*flag))
        .map(|(_, name)| name.to_string())
        .collect();
    let known = NAMES
        .iter()
        .fold(vk::QueueFlags::empty(), |all, (flag, _)| all | *flag);
    let unknown = flags & !known;
    if !unknown.is_empty() {
        names.push(format!("{:#x}", unknown.as_raw()));
    }
    if names.is_empty() {
        return "no capabilities".into();
    }
    names.join("|")
}

fn size_text(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let value = bytes as f64;
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.0} KiB", value / KIB),
        1_048_576..1_073_741_824 => format!("{:.0} MiB", value / (KIB * KIB)),
        _ => format!("{:.1} GiB", value / (KIB * KIB * KIB)),
    }
}

fn print_capabilities(info: &PhysicalDeviceInfo) {
    let capabilities = match Capabilities::detect(info) {
        Ok(capabilities) => capabilities,
        Err(error) => {
            println!("  unusable: {error}");
            return;
        }
    };
    println!("  paths");
    for path in capabilities.paths() {
        println!("    {path}");
    }
    println!("  extensions vkcompose enables");
    let extensions = capabilities.device_extensions();
    if extensions.is_empty() {
        println!("    none");
    }
    for extension in extensions {
        println!("    {}", extension.to_string_lossy());
    }
}

fn print_drm_nodes(devices: &[PhysicalDevice]) {
    println!();
    println!("DRM nodes");
    let nodes = DrmNode::enumerate(Path::new("/dev/dri"));
    if nodes.is_empty() {
        println!("  no DRM nodes under /dev/dri (no kernel GPU driver visible here)");
        return;
    }
    let sysfs = Sysfs::system();
    let locations: Vec<DeviceLocation> = devices.iter().map(|d| d.info().location()).collect();
    for node in &nodes {
        print_drm_node(node, devices, &locations, &sysfs);
    }
}

fn print_drm_node(
    node: &DrmNode,
    devices: &[PhysicalDevice],
    locations: &[DeviceLocation],
    sysfs: &Sysfs,
) {
    // The sibling lookups return the node itself when it is of the kind asked for.
    let sibling = |found: Option<DrmNode>| match found {
        Some(found) if found.id() == node.id() => "this node".to_string(),
        Some(found) => found.to_string(),
        None => "unknown (no sysfs entry)".into(),
    };
    println!("  {node}");
    field("render sibling", sibling(node.render_node(sysfs)), 4);
    field("primary sibling", sibling(node.primary_node(sysfs)), 4);
    field(
        "PCI address",
        node.pci_address(sysfs)
            .map_or("unknown (platform bus or no sysfs entry)".into(), |pci| {
                pci.to_string()
            }),
        4,
    );
    let device = match match_node(node, locations, sysfs) {
        Ok((index, how)) => {
            let how = match how {
                MatchedBy::DrmNode => "by DRM node ids",
                MatchedBy::PciBus => "by PCI address",
            };
            format!("[{index}] {} ({how})", devices[index].name())
        }
        // The message is several lines; indent the continuation under the value.
        Err(no_match) => no_match
            .to_string()
            .replace('\n', &format!("\n{:1$}", "", 4 + LABEL_WIDTH + 1)),
    };
    field("Vulkan device", device, 4);
}

/// Selects and creates the device a compositor would get, and shows what creation granted.
fn print_chosen_device(
    instance: &Instance,
    selector: &DeviceSelector,
    modifiers: bool,
) -> Result<(), vkcompose::Error> {
    println!();
    println!("Chosen device");
    field("selected by", selection_reason(selector), 2);
    let physical = select_device(instance, selector)?;
    let info = physical.info();
    field(
        "device",
        format!("[{}] {} ({})", info.index, info.name, info.device_type),
        2,
    );
    let device = DeviceBuilder::new(&physical)?
        .transfer_queue(true)
        .build()?;
    let graphics = device.graphics_queue();
    field(
        "graphics queue",
        format!("family {}, index {}", graphics.family(), graphics.index()),
        2,
    );
    field(
        "transfer queue",
        device.transfer_queue().map_or_else(
            || "none (transfers share the graphics queue)".into(),
            |queue| format!("family {}, index {}", queue.family(), queue.index()),
        ),
        2,
    );
    field(
        "queue priority",
        device
            .queue_priority()
            .map_or_else(|| "default".into(), |priority| format!("{priority:?}")),
        2,
    );
    print_memory(&device);
    if modifiers {
        println!();
        println!("Modifier table");
        for line in vkcompose::dmabuf::ModifierTable::probe(&device)
            .to_string()
            .lines()
        {
            println!("  {line}");
        }
    }
    Ok(())
}

/// `select_device` applies the environment override silently, so it is checked here too
/// to say which selector actually decided.
fn selection_reason(selector: &DeviceSelector) -> String {
    // A malformed variable makes `select_device` fail with the reason, so it is not
    // reported here.
    if let Ok(Some(from_env)) = DeviceSelector::from_env() {
        return format!("{from_env} ({DEVICE_ENV} overrides {selector})");
    }
    match selector {
        DeviceSelector::Best => format!(
            "{selector}: discrete, then integrated, virtual, CPU, among devices that meet the baseline"
        ),
        other => other.to_string(),
    }
}

fn print_memory(device: &Device) {
    for (index, heap) in device.memory_budget().iter().enumerate() {
        let kind = if heap.device_local {
            "device-local"
        } else {
            "host"
        };
        let budget = match (heap.budget, heap.usage) {
            (Some(budget), Some(usage)) => {
                format!(", budget {}, used {}", size_text(budget), size_text(usage))
            }
            _ => ", no live budget (no VK_EXT_memory_budget)".into(),
        };
        field(
            &format!("heap {index}"),
            format!("{:>8}  {kind}{budget}", size_text(heap.size)),
            2,
        );
    }
    let stats = device.allocator_stats();
    field(
        "allocator",
        format!(
            "{} allocation(s) in {} block(s), {} of {} in use",
            stats.allocations,
            stats.blocks,
            size_text(stats.allocated_bytes),
            size_text(stats.capacity_bytes)
        ),
        2,
    );
}
