//! What the dhcpd.conf tests share: lowering a text, and the settings a request gets.
#![allow(dead_code, unreachable_pub)]

use charrua_conf::{parse_config, NoIncludes};
use charrua_server::config::Config;
use std::net::Ipv4Addr;

use charrua_wire::OptionCode;

/// `text` lowered; its diagnostics, rendered, on failure.
pub fn lower(text: &str) -> Config {
    let lowered = parse_config("test.conf", text.to_string(), &mut NoIncludes);
    let rendered: Vec<String> = lowered
        .diagnostics
        .iter()
        .map(|d| d.render(&lowered.sources))
        .collect();
    lowered
        .config
        .unwrap_or_else(|| panic!("{}", rendered.join("\n")))
}

/// `text` lowered, and the messages of its diagnostics (warnings, as it was accepted).
pub fn lower_warned(text: &str) -> (Config, Vec<String>) {
    let lowered = parse_config("test.conf", text.to_string(), &mut NoIncludes);
    let messages = lowered
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect();
    let config = lowered
        .config
        .unwrap_or_else(|| panic!("refused: {messages:?}"));
    (config, messages)
}

/// The settings `config` gives, on its first subnet, a request carrying `options`: its classes
/// and variables found as the server finds them.
pub fn settings_for(config: &Config, options: &[(u8, &[u8])]) -> charrua_server::config::Params {
    let mut msg = charrua_wire::Message::default();
    for (code, value) in options {
        msg.options.insert(OptionCode(*code), value);
    }
    let mut request = charrua_server::config::Request::of(&msg);
    let classes = config.classes_of(&request);
    let subnet = charrua_server::config::SubnetId(0);
    let variables = config.variables(Some(subnet), &classes, None, &request);
    request.variables = &variables;
    config.params_for(subnet, None, &classes, None, &request)
}

/// 198.18.0.`d`.
pub fn ip(d: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 18, 0, d)
}
