//! vkcompose's errors as Smithay's [`SwapBuffersError`], the way Smithay's own renderers
//! report theirs: a lost device is `ContextLost` (drop the renderer and everything made
//! with it, build a new one, import the clients' buffers again), every other failure a
//! `TemporaryFailure` (this frame failed; the renderer is still good).

use smithay::backend::SwapBuffersError;

use crate::error::Error;

impl From<Error> for SwapBuffersError {
    fn from(error: Error) -> SwapBuffersError {
        match error {
            Error::DeviceLost => SwapBuffersError::ContextLost(Box::new(error)),
            other => SwapBuffersError::TemporaryFailure(Box::new(other)),
        }
    }
}
