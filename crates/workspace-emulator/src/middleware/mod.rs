//! Request middleware: request ids, the access log, and call counting with fault injection.

mod access_log;
mod request_id;
mod workspace_calls;

pub(crate) use access_log::access_log;
pub(crate) use request_id::{RequestId, request_id};
pub(crate) use workspace_calls::count_and_inject_faults;
