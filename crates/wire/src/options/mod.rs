//! DHCP options: codes, the option table, typed values and their text forms, and the option
//! list of a message.

mod code;
pub(crate) mod domain;
mod format;
mod list;
pub mod relay;
mod routes;
pub mod table;
pub mod text;
mod value;

pub use code::OptionCode;
pub use format::Format;
pub use list::Options;
pub use table::{lookup, lookup_name, OptionDef, TABLE};
pub use text::TextError;
pub use value::{ClientFqdn, Route, SixRd, Value};
