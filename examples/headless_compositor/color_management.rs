//! `wp_color_management_v1` (wayland-protocols staging, version 3): clients learn the
//! output's image description and tag their surfaces with their own, which the renderer
//! then converts (vkcompose's linear path) into the output's.
//!
//! What is supported, and why only that:
//!
//! - the perceptual rendering intent only: vkcompose draws every conversion the same way
//!   (reference-white anchoring, BT.2390 tone mapping, gamut clipping), which is a
//!   perceptual mapping; advertising the colorimetric intents would promise more;
//! - parametric image descriptions: named transfer functions that map onto
//!   `vkcompose::color::TransferFunction` (`bt1886`, `gamma22`, `ext_linear`,
//!   `st2084_pq`, `hlg`, and the sRGB piecewise curve: `srgb` for version 1,
//!   `compound_power_2_4` from version 2, where `srgb` is deprecated), named primaries
//!   that `vkcompose::color::Primaries` can represent (not `cie1931_xyz`, whose primaries
//!   lie on the edge of the chromaticity diagram), custom primaries, luminances, mastering
//!   display primaries and luminances inside the primary colour volume (no
//!   `extended_target_volume`: a description whose target volume exceeds its primary
//!   volume fails with `unsupported`, as the protocol recommends), MaxCLL and MaxFALL;
//! - `create_windows_scrgb` and `create_windows_bt2100` (Windows' two HDR encodings, which
//!   Wine and Proton ask for);
//! - no ICC profiles (`icc_v2_v4` is not advertised, so `create_icc_creator` is the
//!   `unsupported_feature` error) and no `set_tf_power` (vkcompose has only the 2.2 and
//!   2.4 powers).
//!
//! There is one output and its description never changes, so every surface prefers the
//! output's description from the start: a surface feedback object gets
//! `preferred_changed` at once and never again, and `image_description_changed` is
//! never sent. Image description identities count up from 1 (the output's) and are
//! never reused.
//!
//! A surface's description is double-buffered state in Smithay's compositor cache, so it
//! applies with the surface's commit (and with its parent's for synchronised
//! subsurfaces); [`surface_description`] gives the renderer what is current.

use std::sync::{
    atomic::{AtomicBool, AtomicU64, Ordering},
    Arc, Mutex,
};

use smithay::{
    output::Output,
    reexports::wayland_server::{
        backend::GlobalId, protocol::wl_surface::WlSurface, Client, DataInit, Dispatch,
        DisplayHandle, GlobalDispatch, New, Resource, WEnum, Weak,
    },
    wayland::compositor::{with_states, Cacheable, SurfaceData},
};
use vkcompose::color::{
    Chromaticity, ColorDescription, ColorError, ContentLightLevels, Luminances, MasteringDisplay,
    Primaries, TransferFunction,
};
use wayland_protocols::wp::color_management::v1::server::{
    wp_color_management_output_v1::{self, WpColorManagementOutputV1},
    wp_color_management_surface_feedback_v1::{self, WpColorManagementSurfaceFeedbackV1},
    wp_color_management_surface_v1::{self, WpColorManagementSurfaceV1},
    wp_color_manager_v1::{
        self, Feature, Primaries as NamedPrimaries, RenderIntent,
        TransferFunction as NamedTransfer, WpColorManagerV1,
    },
    wp_image_description_creator_icc_v1::{self, WpImageDescriptionCreatorIccV1},
    wp_image_description_creator_params_v1::{
        self, Error as ParamsError, WpImageDescriptionCreatorParamsV1,
    },
    wp_image_description_info_v1::{self, WpImageDescriptionInfoV1},
    wp_image_description_v1::{self, Cause, WpImageDescriptionV1},
};

use super::State;

/// The highest version of `wp_color_manager_v1` this compositor implements (the one
/// wayland-protocols 0.32 generates).
const VERSION: u32 = 3;

/// The protocol's chromaticity and `min_lum` scales: coordinates are sent times a
/// million, minimum luminances times ten thousand.
const CHROMATICITY_SCALE: f64 = 1_000_000.0;
const MIN_LUMINANCE_SCALE: f64 = 10_000.0;

/// One image description record: what protocol objects refer to, with its identity.
#[derive(Debug)]
pub struct ImageDescription {
    identity: u64,
    description: ColorDescription,
}

/// The protocol side's state: the output's description, the next identity, and the
/// information objects still to be answered.
pub struct ColorManagementState {
    output: Arc<ImageDescription>,
    next_identity: u64,
    /// `get_information` answers wait here until the request's dispatch is over: their
    /// last event, `done`, destroys the object, and wayland-backend 0.3 panics when the
    /// object a request created is gone before the request's handler returns.
    pending_information: Vec<(WpImageDescriptionInfoV1, ColorDescription)>,
}

impl ColorManagementState {
    /// The state for an output encoded as `output`.
    pub fn new(output: ColorDescription) -> Self {
        Self {
            output: Arc::new(ImageDescription {
                identity: 1,
                description: output,
            }),
            next_identity: 2,
            pending_information: Vec::new(),
        }
    }

    /// Sends the information events asked for since the last call (call it after each
    /// dispatch of the clients' requests).
    pub fn send_pending_information(&mut self) {
        for (info, description) in self.pending_information.drain(..) {
            if info.is_alive() {
                send_information(&info, &description);
            }
        }
    }

    /// Advertises `wp_color_manager_v1`.
    pub fn create_global(dh: &DisplayHandle) -> GlobalId {
        dh.create_global::<State, WpColorManagerV1, ()>(VERSION, ())
    }

    /// A new record for `description`, with an identity never used before.
    fn record(&mut self, description: ColorDescription) -> Arc<ImageDescription> {
        let identity = self.next_identity;
        self.next_identity += 1;
        Arc::new(ImageDescription {
            identity,
            description,
        })
    }
}

/// A surface's image description: double-buffered in Smithay's compositor cache. `None`
/// is an untagged surface, drawn as sRGB.
#[derive(Clone, Debug, Default)]
pub struct SurfaceImageDescription(Option<Arc<ImageDescription>>);

impl Cacheable for SurfaceImageDescription {
    fn commit(&mut self, _dh: &DisplayHandle) -> Self {
        // The pending description stays until the client sets or unsets another.
        self.clone()
    }

    fn merge_into(self, into: &mut Self, _dh: &DisplayHandle) {
        *into = self;
    }
}

/// The description a surface's current buffer is drawn with, and its record's identity
/// (0 for an untagged surface, which is drawn as sRGB).
pub fn surface_description(states: &SurfaceData) -> (u64, ColorDescription) {
    let mut cached = states.cached_state.get::<SurfaceImageDescription>();
    match &cached.current().0 {
        Some(record) => (record.identity, record.description),
        None => (0, ColorDescription::srgb()),
    }
}

/// Marks a surface that has a `wp_color_management_surface_v1` (at most one each).
#[derive(Debug, Default)]
struct HasColorSurface(AtomicBool);

/// The identity of the description a surface was last drawn with, so the renderer can
/// tell when a commit changed it (see [`description_changed`]).
#[derive(Debug, Default)]
struct DrawnIdentity(AtomicU64);

/// Records that the surface is drawn with the description of `identity`; true if that
/// differs from the last one it was drawn with (a commit that changes only the
/// description damages nothing, so the caller must redraw the surface itself).
pub fn description_changed(states: &SurfaceData, identity: u64) -> bool {
    let drawn = states
        .data_map
        .get_or_insert_threadsafe(DrawnIdentity::default);
    drawn.0.swap(identity, Ordering::Relaxed) != identity
}

/// The user data of a `wp_image_description_v1`: its record (`None` once `failed` was
/// sent: the object never becomes ready) and whether `get_information` is allowed.
pub struct DescriptionObject {
    record: Option<Arc<ImageDescription>>,
    info_allowed: bool,
}

impl DescriptionObject {
    fn ready(record: Arc<ImageDescription>, info_allowed: bool) -> Self {
        Self {
            record: Some(record),
            info_allowed,
        }
    }

    const FAILED: DescriptionObject = DescriptionObject {
        record: None,
        info_allowed: false,
    };
}

/// Makes `new` a ready image description of `record` and says so.
fn init_ready(
    data_init: &mut DataInit<'_, State>,
    new: New<WpImageDescriptionV1>,
    record: Arc<ImageDescription>,
    info_allowed: bool,
) {
    let identity = record.identity;
    let object = data_init.init(new, DescriptionObject::ready(record, info_allowed));
    if object.version() >= 2 {
        object.ready2((identity >> 32) as u32, identity as u32);
    } else {
        // Identities count up from 1 and never reach 2^32 in a session.
        object.ready(identity as u32);
    }
}

/// Makes `new` an image description that failed for `cause`.
fn init_failed(
    data_init: &mut DataInit<'_, State>,
    new: New<WpImageDescriptionV1>,
    cause: Cause,
    message: String,
) {
    data_init
        .init(new, DescriptionObject::FAILED)
        .failed(cause, message);
}

/// The features advertised to a manager of `version`.
fn features(version: u32) -> Vec<Feature> {
    let mut features = vec![
        Feature::Parametric,
        Feature::SetPrimaries,
        Feature::SetLuminances,
        Feature::SetMasteringDisplayPrimaries,
        Feature::WindowsScrgb,
    ];
    if version >= 3 {
        features.push(Feature::WindowsBt2100);
    }
    features
}

/// The named transfer functions a manager of `version` supports, with vkcompose's
/// curve for each. The sRGB piecewise curve is `srgb` in version 1 and
/// `compound_power_2_4` from version 2, which deprecates `srgb`.
fn transfer_functions(version: u32) -> [(NamedTransfer, TransferFunction); 6] {
    let srgb = if version >= 2 {
        NamedTransfer::CompoundPower24
    } else {
        NamedTransfer::Srgb
    };
    [
        (srgb, TransferFunction::Srgb),
        (NamedTransfer::Gamma22, TransferFunction::Gamma22),
        (NamedTransfer::Bt1886, TransferFunction::Bt1886),
        (NamedTransfer::ExtLinear, TransferFunction::ExtendedLinear),
        (NamedTransfer::St2084Pq, TransferFunction::Pq),
        (NamedTransfer::Hlg, TransferFunction::Hlg),
    ]
}

/// The named primaries supported, with their chromaticities: vkcompose's named sets,
/// and H.273's colour primaries 4 (BT.470 System M) and 8 (generic film), both with
/// illuminant C as white.
fn named_primaries() -> [(NamedPrimaries, Primaries); 9] {
    let illuminant_c = Chromaticity::new(0.310, 0.316);
    let xy = |r: [f64; 2], g: [f64; 2], b: [f64; 2]| Primaries {
        red: Chromaticity::new(r[0], r[1]),
        green: Chromaticity::new(g[0], g[1]),
        blue: Chromaticity::new(b[0], b[1]),
        white: illuminant_c,
    };
    [
        (NamedPrimaries::Srgb, Primaries::BT709),
        (
            NamedPrimaries::PalM,
            xy([0.67, 0.33], [0.21, 0.71], [0.14, 0.08]),
        ),
        (NamedPrimaries::Pal, Primaries::BT601_625),
        (NamedPrimaries::Ntsc, Primaries::BT601_525),
        (
            NamedPrimaries::GenericFilm,
            xy([0.681, 0.319], [0.243, 0.692], [0.145, 0.049]),
        ),
        (NamedPrimaries::Bt2020, Primaries::BT2020),
        (NamedPrimaries::DciP3, Primaries::DCI_P3),
        (NamedPrimaries::DisplayP3, Primaries::DISPLAY_P3),
        (NamedPrimaries::AdobeRgb, Primaries::ADOBE_RGB),
    ]
}

impl GlobalDispatch<WpColorManagerV1, ()> for State {
    fn bind(
        _state: &mut Self,
        _dh: &DisplayHandle,
        _client: &Client,
        resource: New<WpColorManagerV1>,
        _global_data: &(),
        data_init: &mut DataInit<'_, Self>,
    ) {
        let manager = data_init.init(resource, ());
        let version = manager.version();
        manager.supported_intent(RenderIntent::Perceptual);
        for feature in features(version) {
            manager.supported_feature(feature);
        }
        for (named, _) in transfer_functions(version) {
            manager.supported_tf_named(named);
        }
        for (named, _) in named_primaries().into_iter() {
            manager.supported_primaries_named(named);
        }
        manager.done();
    }
}

impl Dispatch<WpColorManagerV1, ()> for State {
    fn request(
        state: &mut Self,
        _client: &Client,
        manager: &WpColorManagerV1,
        request: wp_color_manager_v1::Request,
        _data: &(),
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        use wp_color_manager_v1::Request;
        match request {
            Request::GetOutput { id, output } => {
                // Inert if the wl_output's global is gone (never, with one fixed output).
                let inert = Output::from_resource(&output).is_none();
                data_init.init(id, OutputObject { inert });
            }
            Request::GetSurface { id, surface } => get_surface(manager, id, &surface, data_init),
            Request::GetSurfaceFeedback { id, surface } => {
                let feedback = data_init.init(id, surface.downgrade());
                let identity = state.color_management.output.identity;
                if feedback.version() >= 2 {
                    feedback.preferred_changed2((identity >> 32) as u32, identity as u32);
                } else {
                    feedback.preferred_changed(identity as u32);
                }
            }
            Request::CreateIccCreator { obj } => {
                manager.post_error(
                    wp_color_manager_v1::Error::UnsupportedFeature,
                    "ICC profiles are not supported (no icc_v2_v4 feature)",
                );
                data_init.init(obj, ());
            }
            Request::CreateParametricCreator { obj } => {
                data_init.init(obj, Mutex::new(Params::default()));
            }
            Request::CreateWindowsScrgb { image_description } => {
                let record = state.color_management.record(windows_scrgb());
                init_ready(data_init, image_description, record, false);
            }
            Request::CreateWindowsBt2100 { image_description } => {
                let record = state.color_management.record(ColorDescription::bt2020_pq());
                init_ready(data_init, image_description, record, false);
            }
            Request::GetImageDescription {
                image_description, ..
            } => {
                // References come from other protocols, none of which this compositor has.
                let message = "no image description reference is known here".to_string();
                init_failed(data_init, image_description, Cause::Unsupported, message);
            }
            Request::Destroy => {}
            _ => unreachable!("wp_color_manager_v1 version 3 has no other request"),
        }
    }
}

/// Windows-scRGB: extended linear BT.709 where 1.0 is 80 cd/m², with reference white at
/// 203 cd/m² (2.5375), the level the protocol says to assume.
fn windows_scrgb() -> ColorDescription {
    ColorDescription {
        luminances: Luminances {
            reference: 203.0,
            ..Luminances::SCRGB
        },
        ..ColorDescription::scrgb()
    }
}

fn get_surface(
    manager: &WpColorManagerV1,
    id: New<WpColorManagementSurfaceV1>,
    surface: &WlSurface,
    data_init: &mut DataInit<'_, State>,
) {
    let exists = with_states(surface, |states| {
        states
            .data_map
            .get_or_insert_threadsafe(HasColorSurface::default)
            .0
            .swap(true, Ordering::Relaxed)
    });
    if exists {
        manager.post_error(
            wp_color_manager_v1::Error::SurfaceExists,
            "the surface already has a wp_color_management_surface_v1",
        );
    }
    data_init.init(id, surface.downgrade());
}

/// The user data of a `wp_color_management_output_v1`.
pub struct OutputObject {
    inert: bool,
}

impl Dispatch<WpColorManagementOutputV1, OutputObject> for State {
    fn request(
        state: &mut Self,
        _client: &Client,
        _output: &WpColorManagementOutputV1,
        request: wp_color_management_output_v1::Request,
        data: &OutputObject,
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        use wp_color_management_output_v1::Request;
        match request {
            Request::GetImageDescription { image_description } if data.inert => {
                let message = "the output is gone".to_string();
                init_failed(data_init, image_description, Cause::NoOutput, message);
            }
            Request::GetImageDescription { image_description } => {
                let record = state.color_management.output.clone();
                init_ready(data_init, image_description, record, true);
            }
            Request::Destroy => {}
            _ => unreachable!("wp_color_management_output_v1 version 3 has no other request"),
        }
    }
}

impl Dispatch<WpColorManagementSurfaceV1, Weak<WlSurface>> for State {
    fn request(
        _state: &mut Self,
        _client: &Client,
        object: &WpColorManagementSurfaceV1,
        request: wp_color_management_surface_v1::Request,
        data: &Weak<WlSurface>,
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        use wp_color_management_surface_v1::{Error, Request};
        let surface = data.upgrade().ok();
        let pending = match request {
            Request::SetImageDescription {
                image_description,
                render_intent,
            } => {
                let record = image_description
                    .data::<DescriptionObject>()
                    .and_then(|d| d.record.clone());
                if render_intent != WEnum::Value(RenderIntent::Perceptual) {
                    let message = format!("rendering intent {render_intent:?} is not supported");
                    object.post_error(Error::RenderIntent, message);
                    return;
                }
                let Some(record) = record else {
                    let message = "the image description is not ready";
                    object.post_error(Error::ImageDescription, message);
                    return;
                };
                Some(record)
            }
            Request::UnsetImageDescription => None,
            Request::Destroy => {
                // Like unset_image_description; another object may then be made.
                if let Some(surface) = surface {
                    with_states(&surface, |states| {
                        *states
                            .cached_state
                            .get::<SurfaceImageDescription>()
                            .pending() = SurfaceImageDescription(None);
                        if let Some(has) = states.data_map.get::<HasColorSurface>() {
                            has.0.store(false, Ordering::Relaxed);
                        }
                    });
                }
                return;
            }
            _ => unreachable!("wp_color_management_surface_v1 version 3 has no other request"),
        };
        let Some(surface) = surface else {
            object.post_error(Error::Inert, "the surface has been destroyed");
            return;
        };
        with_states(&surface, |states| {
            *states
                .cached_state
                .get::<SurfaceImageDescription>()
                .pending() = SurfaceImageDescription(pending);
        });
    }
}

impl Dispatch<WpColorManagementSurfaceFeedbackV1, Weak<WlSurface>> for State {
    fn request(
        state: &mut Self,
        _client: &Client,
        feedback: &WpColorManagementSurfaceFeedbackV1,
        request: wp_color_management_surface_feedback_v1::Request,
        data: &Weak<WlSurface>,
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        use wp_color_management_surface_feedback_v1::{Error, Request};
        let image_description = match request {
            // Every preferred description here is parametric.
            Request::GetPreferred { image_description }
            | Request::GetPreferredParametric { image_description } => image_description,
            Request::Destroy => return,
            _ => unreachable!("wp_color_management_surface_feedback_v1 has no other request"),
        };
        if data.upgrade().is_err() {
            feedback.post_error(Error::Inert, "the surface has been destroyed");
            data_init.init(image_description, DescriptionObject::FAILED);
            return;
        }
        let record = state.color_management.output.clone();
        init_ready(data_init, image_description, record, true);
    }
}

impl Dispatch<WpImageDescriptionV1, DescriptionObject> for State {
    fn request(
        state: &mut Self,
        _client: &Client,
        object: &WpImageDescriptionV1,
        request: wp_image_description_v1::Request,
        data: &DescriptionObject,
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        use wp_image_description_v1::{Error, Request};
        match request {
            Request::GetInformation { information } => {
                let info = data_init.init(information, ());
                match &data.record {
                    None => object.post_error(Error::NotReady, "the image description failed"),
                    Some(_) if !data.info_allowed => object.post_error(
                        Error::NoInformation,
                        "descriptions a client made allow no get_information",
                    ),
                    Some(record) => state
                        .color_management
                        .pending_information
                        .push((info, record.description)),
                }
            }
            Request::Destroy => {}
            _ => unreachable!("wp_image_description_v1 version 3 has no other request"),
        }
    }
}

impl Dispatch<WpImageDescriptionInfoV1, ()> for State {
    fn request(
        _state: &mut Self,
        _client: &Client,
        _info: &WpImageDescriptionInfoV1,
        _request: wp_image_description_info_v1::Request,
        _data: &(),
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        unreachable!("wp_image_description_info_v1 has no requests")
    }
}

impl Dispatch<WpImageDescriptionCreatorIccV1, ()> for State {
    fn request(
        _state: &mut Self,
        _client: &Client,
        _creator: &WpImageDescriptionCreatorIccV1,
        request: wp_image_description_creator_icc_v1::Request,
        _data: &(),
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        // Only made alongside the unsupported_feature error, so the client is gone; a
        // new object in a request still needs its data.
        if let wp_image_description_creator_icc_v1::Request::Create { image_description } = request
        {
            data_init.init(image_description, DescriptionObject::FAILED);
        }
    }
}

/// `primaries` as the protocol's eight coordinates times a million.
fn chromaticity_args(primaries: &Primaries) -> [i32; 8] {
    let [r, g, b, w] = [
        primaries.red,
        primaries.green,
        primaries.blue,
        primaries.white,
    ];
    [r.x, r.y, g.x, g.y, b.x, b.y, w.x, w.y].map(|v| (v * CHROMATICITY_SCALE).round() as i32)
}

/// Sends every information event of a parametric description, then `done`.
fn send_information(info: &WpImageDescriptionInfoV1, description: &ColorDescription) {
    let [rx, ry, gx, gy, bx, by, wx, wy] = chromaticity_args(&description.primaries);
    info.primaries(rx, ry, gx, gy, bx, by, wx, wy);
    if let Some((named, _)) = named_primaries()
        .into_iter()
        .find(|(_, primaries)| *primaries == description.primaries)
    {
        info.primaries_named(named);
    }
    let named_tf = transfer_functions(info.version())
        .into_iter()
        .find(|(_, tf)| *tf == description.transfer);
    match (named_tf, description.transfer) {
        (Some((named, _)), _) => info.tf_named(named),
        // The pure powers vkcompose has beside the named curves.
        (None, TransferFunction::Gamma24) => info.tf_power(24_000),
        (None, _) => info.tf_power(10_000),
    }
    let l = &description.luminances;
    let min = |nits: f64| (nits * MIN_LUMINANCE_SCALE).round() as u32;
    info.luminances(min(l.min), l.max.round() as u32, l.reference.round() as u32);
    let [rx, ry, gx, gy, bx, by, wx, wy] = chromaticity_args(&description.target_primaries());
    info.target_primaries(rx, ry, gx, gy, bx, by, wx, wy);
    let (target_min, target_max) = description.target_luminance_range();
    info.target_luminance(min(target_min), target_max.round() as u32);
    if let Some(levels) = description.content_light {
        if levels.max_cll > 0.0 {
            info.target_max_cll(levels.max_cll.round() as u32);
        }
        if levels.max_fall > 0.0 {
            info.target_max_fall(levels.max_fall.round() as u32);
        }
    }
    info.done();
}

/// What a parametric creator has been given so far, in the protocol's units converted to
/// cd/m² and chromaticities. Each property may be set once.
#[derive(Debug, Default)]
pub struct Params {
    transfer: Option<TransferFunction>,
    primaries: Option<Primaries>,
    /// min, max, reference.
    luminances: Option<(f64, f64, f64)>,
    mastering_primaries: Option<Primaries>,
    /// min, max.
    mastering_luminance: Option<(f64, f64)>,
    max_cll: Option<f64>,
    max_fall: Option<f64>,
}

/// Why a creator request or `create` was refused: a protocol error, or (for `create`) a
/// description this compositor cannot show, answered with `failed`.
enum Refusal {
    Protocol(ParamsError, String),
    Unsupported(String),
}

/// The `already_set` error for the property `what`.
fn already_set(what: &str) -> Refusal {
    Refusal::Protocol(ParamsError::AlreadySet, format!("{what} is already set"))
}

/// Sets `slot` once; the second time is the `already_set` error.
fn set_once<T>(slot: &mut Option<T>, value: T, what: &str) -> Result<(), Refusal> {
    if slot.is_some() {
        return Err(already_set(what));
    }
    *slot = Some(value);
    Ok(())
}

/// Eight coordinates times a million as primaries (checked only at `create`).
fn primaries_from_args(args: [i32; 8]) -> Primaries {
    let c = |i: usize| {
        Chromaticity::new(
            f64::from(args[i]) / CHROMATICITY_SCALE,
            f64::from(args[i + 1]) / CHROMATICITY_SCALE,
        )
    };
    Primaries {
        red: c(0),
        green: c(2),
        blue: c(4),
        white: c(6),
    }
}

/// `invalid_luminance` unless `max` and `reference` are above `min`.
fn check_luminance_order(min: f64, others: &[f64]) -> Result<(), Refusal> {
    if others.iter().all(|&v| v > min) {
        return Ok(());
    }
    Err(Refusal::Protocol(
        ParamsError::InvalidLuminance,
        format!("luminances {others:?} cd/m² must be above the minimum {min} cd/m²"),
    ))
}

impl Params {
    /// Applies one creator request other than `create`.
    fn apply(
        &mut self,
        request: wp_image_description_creator_params_v1::Request,
        version: u32,
    ) -> Result<(), Refusal> {
        use wp_image_description_creator_params_v1::Request;
        match request {
            Request::SetTfNamed { tf } => {
                if self.transfer.is_some() {
                    return Err(already_set("the transfer function"));
                }
                let transfer = transfer_functions(version)
                    .into_iter()
                    .find(|(named, _)| tf == WEnum::Value(*named))
                    .map(|(_, transfer)| transfer)
                    .ok_or_else(|| {
                        let message = format!("transfer function {tf:?} is not supported");
                        Refusal::Protocol(ParamsError::InvalidTf, message)
                    })?;
                set_once(&mut self.transfer, transfer, "the transfer function")
            }
            Request::SetTfPower { .. } => Err(Refusal::Protocol(
                ParamsError::UnsupportedFeature,
                "set_tf_power is not supported".into(),
            )),
            Request::SetPrimariesNamed { primaries } => {
                if self.primaries.is_some() {
                    return Err(already_set("the primaries"));
                }
                let found = named_primaries()
                    .into_iter()
                    .find(|(named, _)| primaries == WEnum::Value(*named))
                    .map(|(_, p)| p)
                    .ok_or_else(|| {
                        let message = format!("primaries {primaries:?} are not supported");
                        Refusal::Protocol(ParamsError::InvalidPrimariesNamed, message)
                    })?;
                set_once(&mut self.primaries, found, "the primaries")
            }
            other => self.apply_numbers(other),
        }
    }

    /// Applies a creator request made of numbers.
    fn apply_numbers(
        &mut self,
        request: wp_image_description_creator_params_v1::Request,
    ) -> Result<(), Refusal> {
        use wp_image_description_creator_params_v1::Request;
        let min_nits = |min_lum: u32| f64::from(min_lum) / MIN_LUMINANCE_SCALE;
        match request {
            #[rustfmt::skip]
            Request::SetPrimaries { r_x, r_y, g_x, g_y, b_x, b_y, w_x, w_y } => {
                let primaries = primaries_from_args([r_x, r_y, g_x, g_y, b_x, b_y, w_x, w_y]);
                set_once(&mut self.primaries, primaries, "the primaries")
            }
            Request::SetLuminances {
                min_lum,
                max_lum,
                reference_lum,
            } => {
                let (max, reference) = (f64::from(max_lum), f64::from(reference_lum));
                let min = min_nits(min_lum);
                if self.luminances.is_some() {
                    return Err(already_set("the luminances"));
                }
                check_luminance_order(min, &[max, reference])?;
                set_once(&mut self.luminances, (min, max, reference), "luminances")
            }
            #[rustfmt::skip]
            Request::SetMasteringDisplayPrimaries { r_x, r_y, g_x, g_y, b_x, b_y, w_x, w_y } => {
                let primaries = primaries_from_args([r_x, r_y, g_x, g_y, b_x, b_y, w_x, w_y]);
                set_once(&mut self.mastering_primaries, primaries, "mastering primaries")
            }
            Request::SetMasteringLuminance { min_lum, max_lum } => {
                let (min, max) = (min_nits(min_lum), f64::from(max_lum));
                if self.mastering_luminance.is_some() {
                    return Err(already_set("the mastering luminance"));
                }
                check_luminance_order(min, &[max])?;
                set_once(
                    &mut self.mastering_luminance,
                    (min, max),
                    "mastering luminance",
                )
            }
            Request::SetMaxCll { max_cll } => {
                set_once(&mut self.max_cll, f64::from(max_cll), "max_cll")
            }
            Request::SetMaxFall { max_fall } => {
                set_once(&mut self.max_fall, f64::from(max_fall), "max_fall")
            }
            _ => unreachable!("every other creator request is handled by Params::apply"),
        }
    }

    /// The primary colour volume's luminances (min, max, reference): the client's, or
    /// what its transfer function implies. For PQ the maximum is always the minimum plus
    /// 10 000 cd/m² (ST 2084's swing), whatever the client said.
    fn luminances(&self, transfer: TransferFunction) -> (f64, f64, f64) {
        let (min, max, reference) = self.luminances.unwrap_or(match transfer {
            TransferFunction::Pq => (0.005, 10_000.0, 203.0),
            TransferFunction::Hlg => (0.005, 1000.0, 203.0),
            // BT.2035's reference display, which the protocol's bt1886 implies.
            TransferFunction::Bt1886 => (0.01, 100.0, 100.0),
            _ => (0.2, 80.0, 80.0),
        });
        match transfer {
            TransferFunction::Pq => (min, min + 10_000.0, reference),
            _ => (min, max, reference),
        }
    }

    /// Checks a complete set and builds the description it makes.
    fn create(&self, version: u32) -> Result<ColorDescription, Refusal> {
        let (Some(transfer), Some(primaries)) = (self.transfer, self.primaries) else {
            return Err(Refusal::Protocol(
                ParamsError::IncompleteSet,
                "a transfer function and primaries are required".into(),
            ));
        };
        if let (Some(cll), Some(fall)) = (self.max_cll, self.max_fall) {
            if fall > cll {
                let message = format!("max_fall {fall} is above max_cll {cll}");
                return Err(Refusal::Protocol(ParamsError::InvalidLuminance, message));
            }
        }
        let (min, max, reference) = self.luminances(transfer);
        let (target_min, target_max) = self.mastering_luminance.unwrap_or((min, max));
        if version < 2 {
            // Version 1 also required the levels inside the target luminance range.
            for level in [self.max_cll, self.max_fall].into_iter().flatten() {
                if level <= target_min || level > target_max {
                    let message = format!("light level {level} is outside the target range");
                    return Err(Refusal::Protocol(ParamsError::InvalidLuminance, message));
                }
            }
        }
        let mastering = (self.mastering_primaries.is_some() || self.mastering_luminance.is_some())
            .then(|| MasteringDisplay {
                primaries: self.mastering_primaries.unwrap_or(primaries),
                min_luminance: target_min,
                max_luminance: target_max,
            });
        if let Some(mastering) = &mastering {
            check_target_volume(&primaries, max, mastering)?;
        }
        let levels =
            (self.max_cll.is_some() || self.max_fall.is_some()).then(|| ContentLightLevels {
                max_cll: self.max_cll.unwrap_or(0.0),
                max_fall: self.max_fall.unwrap_or(0.0),
            });
        let unsupported = |e: ColorError| Refusal::Unsupported(e.to_string());
        let luminances = Luminances::new(min, max, reference).map_err(unsupported)?;
        match ColorDescription::new(transfer, primaries, luminances, mastering, levels) {
            // From version 2 light levels outside the target range are allowed: they only
            // steer tone mapping, which then starts from the target volume's peak.
            Err(ColorError::ContentLightOutOfRange { .. }) if version >= 2 => {
                ColorDescription::new(transfer, primaries, luminances, mastering, None)
                    .map_err(unsupported)
            }
            result => result.map_err(unsupported),
        }
    }
}

/// Refuses (`unsupported`) a target colour volume that reaches outside the primary one,
/// which only `extended_target_volume` would allow: mastering primaries outside the
/// primaries' triangle or a mastering peak above the primary volume's maximum. A darker
/// mastering black is allowed (HDR10 metadata often says 0.0001 cd/m² where PQ's
/// implied minimum is 0.005). Tolerances cover the protocol's rounding.
fn check_target_volume(
    primaries: &Primaries,
    max: f64,
    mastering: &MasteringDisplay,
) -> Result<(), Refusal> {
    let m = &mastering.primaries;
    let inside = [m.red, m.green, m.blue]
        .iter()
        .all(|p| in_triangle(*p, primaries));
    if !inside {
        return Err(Refusal::Unsupported(
            "the mastering primaries reach outside the primaries (no extended_target_volume)"
                .into(),
        ));
    }
    if mastering.max_luminance > max + 0.5 {
        return Err(Refusal::Unsupported(format!(
            "the mastering peak {} cd/m² is above the primary volume's {max} cd/m² \
             (no extended_target_volume)",
            mastering.max_luminance
        )));
    }
    Ok(())
}

/// Whether `p` lies in the triangle of `primaries`, or within 2e-6 of it (the rounding
/// of two coordinates sent times a million).
fn in_triangle(p: Chromaticity, primaries: &Primaries) -> bool {
    let corners = [primaries.red, primaries.green, primaries.blue];
    let cross = |a: Chromaticity, b: Chromaticity| {
        let edge = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
        ((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)) / edge
    };
    let distances: Vec<f64> = (0..3)
        .map(|i| cross(corners[i], corners[(i + 1) % 3]))
        .collect();
    let tolerance = 2e-6;
    distances.iter().all(|&d| d >= -tolerance) || distances.iter().all(|&d| d <= tolerance)
}

impl Dispatch<WpImageDescriptionCreatorParamsV1, Mutex<Params>> for State {
    fn request(
        state: &mut Self,
        _client: &Client,
        creator: &WpImageDescriptionCreatorParamsV1,
        request: wp_image_description_creator_params_v1::Request,
        data: &Mutex<Params>,
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        use wp_image_description_creator_params_v1::Request;
        let mut params = data.lock().unwrap_or_else(|e| e.into_inner());
        let version = creator.version();
        let Request::Create { image_description } = request else {
            if let Err(Refusal::Protocol(code, message)) = params.apply(request, version) {
                creator.post_error(code, message);
            }
            return;
        };
        match params.create(version) {
            Ok(description) => {
                let record = state.color_management.record(description);
                init_ready(data_init, image_description, record, false);
            }
            Err(Refusal::Unsupported(message)) => {
                init_failed(data_init, image_description, Cause::Unsupported, message);
            }
            Err(Refusal::Protocol(code, message)) => {
                creator.post_error(code, message);
                data_init.init(image_description, DescriptionObject::FAILED);
            }
        }
    }
}
