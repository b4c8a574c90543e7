//! The Vulkan instance: loads the loader at run time, requires Vulkan 1.2, and forwards
//! validation and driver messages to `tracing` through `VK_EXT_debug_utils`. Error-severity
//! messages are also counted, so tests can fail on any validation error.

use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ash::{ext, vk};

use crate::core::layer_quirks::{QuirkCell, Quirks, ValidationReport};
use crate::error::{Result, VkResultExt};

const VALIDATION_LAYER: &CStr = c"VK_LAYER_KHRONOS_validation";

/// How to create the instance.
#[derive(Clone, Debug, Default)]
pub struct InstanceOptions {
    /// Enable the Khronos validation layer. Also turned on by `VKCOMPOSE_VALIDATION=1`.
    pub validation: bool,
    /// Also enable the layer's synchronization validation (hazards between submissions and
    /// commands; slow). Implies `validation`. Also turned on by `VKCOMPOSE_VALIDATION=sync`.
    pub synchronization_validation: bool,
    /// Instance extensions to enable besides vkcompose's own: the surface extensions a
    /// window system needs to present (`InstanceOptions::presenting_to` adds them with
    /// feature `winit`). Creation fails naming the first one the loader lacks.
    pub extensions: Vec<&'static CStr>,
}

/// Who destroys the instance, and what vkcompose enabled on one it created.
enum Ownership {
    Owned {
        validation: bool,
        synchronization_validation: bool,
    },
    Adopted,
}

/// What the environment adds to the options.
fn from_env(options: &InstanceOptions) -> InstanceOptions {
    let value = std::env::var("VKCOMPOSE_VALIDATION").unwrap_or_default();
    let sync = options.synchronization_validation || value == "sync";
    InstanceOptions {
        validation: options.validation || sync || (!value.is_empty() && value != "0"),
        synchronization_validation: sync,
        extensions: options.extensions.clone(),
    }
}

/// Validation messages seen so far.
#[derive(Debug, Default)]
pub struct MessageLog {
    errors: AtomicUsize,
    recent: Mutex<Vec<String>>,
}

impl MessageLog {
    /// Error-severity messages since the instance was created.
    pub fn error_count(&self) -> usize {
        self.errors.load(Ordering::SeqCst)
    }

    /// The error messages, oldest first (at most the last 64).
    pub fn errors(&self) -> Vec<String> {
        self.recent.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn record_error(&self, message: String) {
        self.errors.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() == 64 {
                recent.remove(0);
            }
            recent.push(message);
        }
    }
}

/// A Vulkan instance. Cheap to clone; destroyed when the last clone (and every device made
/// from it) is dropped.
#[derive(Clone)]
pub struct Instance {
    pub(crate) shared: Arc<InstanceShared>,
}

pub(crate) struct InstanceShared {
    /// The loaded library; must outlive every function pointer of the instance.
    pub _entry: ash::Entry,
    pub raw: ash::Instance,
    pub api_version: u32,
    debug: Option<(ext::debug_utils::Instance, vk::DebugUtilsMessengerEXT)>,
    /// Owned here because the messenger callback holds a raw pointer to it.
    log: Arc<MessageLog>,
    validation: bool,
    synchronization_validation: bool,
    /// The instance extensions enabled (by vkcompose, or by the adopter as it listed them).
    extensions: Vec<CString>,
    /// False when the caller created the instance and will destroy it.
    owned: bool,
    /// Driver bugs behind known validation false positives, probed on first use.
    quirks: QuirkCell,
}

impl Instance {
    pub fn new(options: &InstanceOptions) -> Result<Instance> {
        // SAFETY: loading the system's Vulkan loader runs its initialisation code; that is the
        // documented way to use a system Vulkan and has no further preconditions.
        let entry = unsafe { ash::Entry::load()? };
        let api_version = instance_version(&entry)?;
        let enabled = Enabled::choose(&entry, &from_env(options))?;
        let log = Arc::new(MessageLog::default());
        let raw = create_instance(&entry, api_version, &enabled, &log)?;
        tracing::debug!(
            "Vulkan instance {}.{}, validation {}",
            vk::api_version_major(api_version),
            vk::api_version_minor(api_version),
            match (enabled.validation, enabled.synchronization_validation) {
                (true, true) => "on, with synchronization",
                (true, false) => "on",
                _ => "off",
            }
        );
        Ok(Instance::assemble(
            entry,
            raw,
            api_version,
            log,
            enabled.debug_utils,
            Ownership::Owned {
                validation: enabled.validation,
                synchronization_validation: enabled.synchronization_validation,
            },
            enabled.extensions.iter().map(|&e| e.to_owned()).collect(),
        ))
    }

    /// Wraps an instance the caller created; see [`Device::adopt`](crate::Device::adopt)
    /// for the contract. Validation messages are counted only when `extensions` includes
    /// `VK_EXT_debug_utils`.
    ///
    /// # Safety
    /// `raw` was created by `entry` with `api_version` and `extensions`, stays alive until
    /// the returned value and every clone are dropped, and is destroyed by the caller.
    pub(crate) unsafe fn adopt(
        entry: ash::Entry,
        raw: vk::Instance,
        api_version: u32,
        extensions: &[&CStr],
    ) -> Result<Instance> {
        if api_version < vk::API_VERSION_1_2 {
            return Err(version_too_old(api_version));
        }
        // SAFETY: the caller guarantees `raw` was created by `entry`.
        let raw = unsafe { ash::Instance::load(entry.static_fn(), raw) };
        Ok(Instance::assemble(
            entry,
            raw,
            api_version,
            Arc::new(MessageLog::default()),
            extensions.contains(&ext::debug_utils::NAME),
            Ownership::Adopted,
            extensions.iter().map(|&e| e.to_owned()).collect(),
        ))
    }

    /// Wraps a created or adopted instance, with a debug messenger feeding `log` when
    /// `debug_utils` is enabled on it.
    fn assemble(
        entry: ash::Entry,
        raw: ash::Instance,
        api_version: u32,
        log: Arc<MessageLog>,
        debug_utils: bool,
        ownership: Ownership,
        extensions: Vec<CString>,
    ) -> Instance {
        let debug = debug_utils
            .then(|| create_messenger(&entry, &raw, &log))
            .flatten();
        let (validation, synchronization_validation, owned) = match ownership {
            Ownership::Owned {
                validation,
                synchronization_validation,
            } => (validation, synchronization_validation, true),
            Ownership::Adopted => (false, false, false),
        };
        Instance {
            shared: Arc::new(InstanceShared {
                _entry: entry,
                raw,
                api_version,
                debug,
                log,
                validation,
                synchronization_validation,
                extensions,
                owned,
                quirks: Default::default(),
            }),
        }
    }

    /// The validation messages this instance has received.
    pub fn messages(&self) -> &MessageLog {
        &self.shared.log
    }

    /// Whether vkcompose enabled the validation layer (an adopted instance reports false
    /// even when its creator enabled it).
    pub fn validation_enabled(&self) -> bool {
        self.shared.validation
    }

    /// Whether the layer's synchronization validation is on.
    pub fn synchronization_validation_enabled(&self) -> bool {
        self.shared.synchronization_validation
    }

    /// The negotiated API version (`VK_MAKE_API_VERSION` encoding).
    pub fn api_version(&self) -> u32 {
        self.shared.api_version
    }

    pub fn raw(&self) -> &ash::Instance {
        &self.shared.raw
    }

    /// The validation errors so far, with the known false positives (see
    /// `layer_quirks`) taken out.
    pub fn validation_report(&self) -> ValidationReport {
        let log = self.messages();
        ValidationReport::new(log.errors(), log.error_count(), self.quirks())
    }

    /// Whether `message` is a validation error known to be false on this instance's
    /// devices.
    pub fn is_known_false_positive(&self, message: &str) -> bool {
        self.quirks().forgives(message)
    }

    fn quirks(&self) -> &Quirks {
        self.shared.quirks.get_or_init(|| Quirks::probe(self.raw()))
    }

    /// The loaded Vulkan library the instance came from, for interop.
    pub fn entry(&self) -> &ash::Entry {
        &self.shared._entry
    }

    /// Whether instance extension `name` is enabled (for an adopted instance: whether the
    /// caller listed it).
    pub fn has_extension(&self, name: &CStr) -> bool {
        self.shared.extensions.iter().any(|e| e.as_c_str() == name)
    }
}

/// What [`Instance::new`] enables: what the options ask for, checked against what the loader
/// and the validation layer offer.
struct Enabled {
    validation: bool,
    /// Asked for, and offered by the layer.
    synchronization_validation: bool,
    /// Whenever the loader offers it: validation and driver messages go to `tracing`.
    debug_utils: bool,
    /// vkcompose's instance extensions, then the caller's, each once.
    extensions: Vec<&'static CStr>,
}

impl Enabled {
    /// Errors when validation is asked for without the layer, or the loader lacks one of the
    /// caller's extensions; synchronization validation the layer cannot do is only warned
    /// about.
    fn choose(entry: &ash::Entry, options: &InstanceOptions) -> Result<Enabled> {
        if options.validation && !has_layer(entry, VALIDATION_LAYER)? {
            return Err(crate::Error::ValidationLayerMissing);
        }
        let debug_utils = has_extension(entry, None, ext::debug_utils::NAME)?;
        // Synchronization validation is switched on through an extension the layer itself
        // provides.
        let synchronization_validation = options.synchronization_validation
            && has_extension(
                entry,
                Some(VALIDATION_LAYER),
                ext::validation_features::NAME,
            )?;
        if options.synchronization_validation && !synchronization_validation {
            tracing::warn!("synchronization validation unavailable: the validation layer lacks VK_EXT_validation_features");
        }
        let mut extensions = Vec::new();
        if debug_utils {
            extensions.push(ext::debug_utils::NAME);
        }
        if synchronization_validation {
            extensions.push(ext::validation_features::NAME);
        }
        for &name in &options.extensions {
            if !has_extension(entry, None, name)? {
                return Err(crate::Error::Unsupported {
                    device: "the Vulkan loader".into(),
                    what: format!("instance extension {}", name.to_string_lossy()),
                });
            }
            if !extensions.contains(&name) {
                extensions.push(name);
            }
        }
        Ok(Enabled {
            validation: options.validation,
            synchronization_validation,
            debug_utils,
            extensions,
        })
    }
}

/// `vkCreateInstance` with what `enabled` names, and a debug messenger feeding `log` chained
/// in so that messages from `vkCreateInstance` itself are reported too.
fn create_instance(
    entry: &ash::Entry,
    api_version: u32,
    enabled: &Enabled,
    log: &Arc<MessageLog>,
) -> Result<ash::Instance> {
    let layers: Vec<*const c_char> = match enabled.validation {
        true => vec![VALIDATION_LAYER.as_ptr()],
        false => Vec::new(),
    };
    let extensions: Vec<*const c_char> = enabled.extensions.iter().map(|e| e.as_ptr()).collect();
    let app = vk::ApplicationInfo::default()
        .application_name(c"vkcompose")
        .engine_name(c"vkcompose")
        .api_version(api_version);
    let mut messenger_info = messenger_info(log);
    let enabled_features = [vk::ValidationFeatureEnableEXT::SYNCHRONIZATION_VALIDATION];
    let mut validation_features =
        vk::ValidationFeaturesEXT::default().enabled_validation_features(&enabled_features);
    let mut info = vk::InstanceCreateInfo::default()
        .application_info(&app)
        .enabled_layer_names(&layers)
        .enabled_extension_names(&extensions);
    if enabled.debug_utils {
        info = info.push_next(&mut messenger_info);
    }
    if enabled.synchronization_validation {
        info = info.push_next(&mut validation_features);
    }
    // SAFETY: every pointer in `info` refers to locals (or `'static` names) that outlive the
    // call.
    unsafe { entry.create_instance(&info, None) }.or_vk("vkCreateInstance")
}

impl Drop for InstanceShared {
    fn drop(&mut self) {
        // SAFETY: devices hold an `Arc` to this, so none is alive; the messenger belongs to
        // this instance.
        unsafe {
            if let Some((loader, messenger)) = self.debug.take() {
                loader.destroy_debug_utils_messenger(messenger, None);
            }
            if self.owned {
                self.raw.destroy_instance(None);
            }
        }
    }
}

fn create_messenger(
    entry: &ash::Entry,
    instance: &ash::Instance,
    log: &Arc<MessageLog>,
) -> Option<(ext::debug_utils::Instance, vk::DebugUtilsMessengerEXT)> {
    let loader = ext::debug_utils::Instance::new(entry, instance);
    let info = messenger_info(log);
    // SAFETY: the callback's user data points into `log`, which the instance owns and drops
    // only after destroying the messenger.
    match unsafe { loader.create_debug_utils_messenger(&info, None) } {
        Ok(messenger) => Some((loader, messenger)),
        Err(e) => {
            tracing::warn!("debug messenger unavailable: {e}");
            None
        }
    }
}

fn version_too_old(version: u32) -> crate::Error {
    crate::Error::VersionTooOld {
        found: format!(
            "{}.{}",
            vk::api_version_major(version),
            vk::api_version_minor(version)
        ),
    }
}

fn instance_version(entry: &ash::Entry) -> Result<u32> {
    // SAFETY: a plain query with no arguments.
    let version = unsafe { entry.try_enumerate_instance_version() }
        .or_vk("vkEnumerateInstanceVersion")?
        .unwrap_or(vk::API_VERSION_1_0);
    if version < vk::API_VERSION_1_2 {
        return Err(version_too_old(version));
    }
    Ok(version.min(vk::API_VERSION_1_3))
}

fn has_layer(entry: &ash::Entry, name: &CStr) -> Result<bool> {
    // SAFETY: a plain query; the returned structs are copied out.
    let layers = unsafe { entry.enumerate_instance_layer_properties() }
        .or_vk("vkEnumerateInstanceLayerProperties")?;
    Ok(layers.iter().any(|l| l.layer_name_as_c_str() == Ok(name)))
}

/// Whether the loader (or `layer`) offers instance extension `name`.
fn has_extension(entry: &ash::Entry, layer: Option<&CStr>, name: &CStr) -> Result<bool> {
    // SAFETY: a plain query; the returned structs are copied out.
    let extensions = unsafe { entry.enumerate_instance_extension_properties(layer) }
        .or_vk("vkEnumerateInstanceExtensionProperties")?;
    Ok(extensions
        .iter()
        .any(|e| e.extension_name_as_c_str() == Ok(name)))
}

fn messenger_info(log: &Arc<MessageLog>) -> vk::DebugUtilsMessengerCreateInfoEXT<'static> {
    vk::DebugUtilsMessengerCreateInfoEXT::default()
        .message_severity(
            vk::DebugUtilsMessageSeverityFlagsEXT::ERROR
                | vk::DebugUtilsMessageSeverityFlagsEXT::WARNING
                | vk::DebugUtilsMessageSeverityFlagsEXT::INFO,
        )
        .message_type(
            vk::DebugUtilsMessageTypeFlagsEXT::GENERAL
                | vk::DebugUtilsMessageTypeFlagsEXT::VALIDATION
                | vk::DebugUtilsMessageTypeFlagsEXT::PERFORMANCE,
        )
        .pfn_user_callback(Some(on_message))
        .user_data(Arc::as_ptr(log) as *mut c_void)
}

unsafe extern "system" fn on_message(
    severity: vk::DebugUtilsMessageSeverityFlagsEXT,
    kind: vk::DebugUtilsMessageTypeFlagsEXT,
    data: *const vk::DebugUtilsMessengerCallbackDataEXT<'_>,
    user_data: *mut c_void,
) -> vk::Bool32 {
    // SAFETY: Vulkan passes valid callback data for the duration of the call.
    let message = unsafe { data.as_ref() }
        .and_then(|d| message_text(d))
        .unwrap_or_default();
    if severity.contains(vk::DebugUtilsMessageSeverityFlagsEXT::ERROR) {
        tracing::error!(?kind, "{message}");
        // SAFETY: `user_data` is the `MessageLog` the instance keeps alive while the
        // messenger exists.
        if let Some(log) = unsafe { (user_data as *const MessageLog).as_ref() } {
            log.record_error(message);
        }
    } else if severity.contains(vk::DebugUtilsMessageSeverityFlagsEXT::WARNING) {
        tracing::warn!(?kind, "{message}");
    } else {
        tracing::debug!(?kind, "{message}");
    }
    vk::FALSE
}

fn message_text(data: &vk::DebugUtilsMessengerCallbackDataEXT<'_>) -> Option<String> {
    if data.p_message.is_null() {
        return None;
    }
    // SAFETY: a non-null `p_message` is a NUL-terminated string valid during the callback.
    let message = unsafe { CStr::from_ptr(data.p_message) };
    Some(message.to_string_lossy().into_owned())
}
