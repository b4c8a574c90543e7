//! linux-dmabuf through Smithay, with one request checked first. Smithay 0.7 names an
//! unadvertised format in its `invalid_format` error with drm-fourcc's `Debug`, which
//! panics on codes whose characters are not printable (`DRM_FORMAT_BIG_ENDIAN`,
//! 0x80000000, passes drm-fourcc's `TryFrom`): one `create` from any client would end the
//! compositor. So `create` and `create_immed` with such a code get the `invalid_format`
//! error here, and everything else goes to Smithay's `DmabufState` as
//! `delegate_dmabuf!` would send it. (Found by vkcompose's `fuzz/dmabuf_layout`, whose
//! crash was the same panic in vkcompose's own messages.)

use smithay::reexports::wayland_protocols::wp::linux_dmabuf::zv1::server::{
    zwp_linux_buffer_params_v1::{self, ZwpLinuxBufferParamsV1},
    zwp_linux_dmabuf_feedback_v1::ZwpLinuxDmabufFeedbackV1,
    zwp_linux_dmabuf_v1::ZwpLinuxDmabufV1,
};
use smithay::reexports::wayland_server::{
    backend::ClientId, delegate_dispatch, delegate_global_dispatch, protocol::wl_buffer::WlBuffer,
    Client, DataInit, Dispatch, DisplayHandle, Resource,
};
use smithay::{
    backend::allocator::dmabuf::Dmabuf,
    wayland::dmabuf::{
        DmabufData, DmabufFeedbackData, DmabufGlobalData, DmabufParamsData, DmabufState,
    },
};

use super::State;

delegate_global_dispatch!(State: [ZwpLinuxDmabufV1: DmabufGlobalData] => DmabufState);
delegate_dispatch!(State: [ZwpLinuxDmabufV1: DmabufData] => DmabufState);
delegate_dispatch!(State: [WlBuffer: Dmabuf] => DmabufState);
delegate_dispatch!(State: [ZwpLinuxDmabufFeedbackV1: DmabufFeedbackData] => DmabufState);

impl Dispatch<ZwpLinuxBufferParamsV1, DmabufParamsData> for State {
    fn request(
        state: &mut State,
        client: &Client,
        params: &ZwpLinuxBufferParamsV1,
        request: zwp_linux_buffer_params_v1::Request,
        data: &DmabufParamsData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        let format = match &request {
            zwp_linux_buffer_params_v1::Request::Create { format, .. }
            | zwp_linux_buffer_params_v1::Request::CreateImmed { format, .. } => Some(*format),
            _ => None,
        };
        if let Some(format) = format.filter(|&f| !printable_fourcc(f)) {
            params.post_error(
                zwp_linux_buffer_params_v1::Error::InvalidFormat,
                format!("format {format:#010x} is not supported"),
            );
            return;
        }
        <DmabufState as Dispatch<ZwpLinuxBufferParamsV1, DmabufParamsData, State>>::request(
            state, client, params, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut State,
        client: ClientId,
        params: &ZwpLinuxBufferParamsV1,
        data: &DmabufParamsData,
    ) {
        <DmabufState as Dispatch<ZwpLinuxBufferParamsV1, DmabufParamsData, State>>::destroyed(
            state, client, params, data,
        );
    }
}

/// Whether drm-fourcc can print the code: its first two bytes ASCII letters or digits, the
/// rest printable or NUL (what its `Display` requires; others make it panic).
fn printable_fourcc(code: u32) -> bool {
    let [a, b, c, d] = code.to_le_bytes();
    let tail = |x: u8| x == 0 || x.is_ascii_graphic() || x == b' ';
    a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() && tail(c) && tail(d)
}
