//! ISC's `on commit|release|expiry { ... }`: statements run when a lease is acknowledged,
//! released or runs out (common/execute.c `execute_statements`). Running them is pure here:
//! what they do comes out as [`Effect`]s, a line to log or a program to run, which the daemon
//! carries out; the variables their `set` statements bind come out too, to be kept in the lease
//! (server/db.c writes them as `set NAME = VALUE;`).

use super::expr::{Datum, Expr, Request};

/// When an `on` statement's body runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeaseEvent {
    /// A lease is acknowledged (DHCPACK, or a BOOTP reply).
    Commit,
    /// The client released it.
    Release,
    /// It ran out.
    Expiry,
}

/// The priority of a `log` statement (dhcpd logs at the matching syslog level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogPriority {
    /// `fatal` (dhcpd exits after logging; charruad logs at error level and serves on).
    Fatal,
    /// `error`.
    Error,
    /// `info`, the default.
    Info,
    /// `debug`.
    Debug,
}

/// A statement of an `on` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `set NAME = EXPRESSION;`: binds a variable for the statements after it, kept in the
    /// lease.
    Set(String, Expr),
    /// `log (PRIORITY, EXPRESSION);`: nothing when the expression evaluates to nothing.
    Log(LogPriority, Expr),
    /// `execute ("PROGRAM", ARG, ...);`: the program is run with each argument as one string;
    /// nothing runs when an argument evaluates to nothing ("execute: bad arg").
    Execute(String, Vec<Expr>),
    /// `if`/`elsif`/`else`: the statements of the first branch whose condition holds.
    If(Vec<(Option<Expr>, Vec<Self>)>),
    /// A scope's setting written in the body (`ddns-hostname = ...;`, `ddns-updates off;`):
    /// it holds for this acknowledgement's DNS registration, which runs after the body
    /// (server/dhcp.c `ack_lease` runs `on commit` into the reply's option state, which
    /// server/ddns.c `ddns_updates` reads). The settings it sets are those `Params` holds.
    Settings(Box<super::Params>),
}

impl Action {
    /// Whether an expression of this statement, or of one inside it, reads `config-option`.
    pub fn reads_config_options(&self) -> bool {
        match self {
            Self::Set(_, e) | Self::Log(_, e) => e.reads_config_options(),
            Self::Execute(_, args) => args.iter().any(Expr::reads_config_options),
            Self::Settings(params) => [
                &params.ddns_hostname,
                &params.ddns_domainname,
                &params.ddns_rev_domainname,
                &params.ddns_ttl,
            ]
            .into_iter()
            .flatten()
            .any(Expr::reads_config_options),
            Self::If(branches) => branches.iter().any(|(condition, body)| {
                condition.as_ref().is_some_and(Expr::reads_config_options)
                    || body.iter().any(Self::reads_config_options)
            }),
        }
    }
}

/// What running an `on` body asks of the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A line for the log, at `priority`.
    Log(LogPriority, String),
    /// Run `program` (looked up in `PATH` when it has no slash, as `execvp`) with `args`,
    /// directly, no shell.
    Execute {
        /// The program.
        program: String,
        /// Its arguments, after the program's name.
        args: Vec<String>,
    },
    /// Register or remove DNS records (ISC dhcpd's DDNS, see [`crate::dns`]).
    Dns(Box<crate::dns::DnsWork>),
}

/// What running an `on` body gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ran {
    /// What to do, in order.
    pub effects: Vec<Effect>,
    /// The variables its `set` statements bound, in order.
    pub variables: Vec<(String, Datum)>,
    /// The settings its statements set, the last one run winning (see [`Action::Settings`]).
    pub settings: super::Params,
}

/// At most this many variables are kept in a lease, ...
pub const MAX_KEPT_VARIABLES: usize = 16;
/// ... each name at most this long, ...
pub const MAX_VARIABLE_NAME: usize = 64;
/// ... and each value at most this long (octets); a variable beyond these is not kept, so a
/// lease record stays small and always writable.
pub const MAX_VARIABLE_VALUE: usize = 255;

/// Whether a variable named `name` of `value` is within what a lease keeps
/// ([`MAX_VARIABLE_NAME`], [`MAX_VARIABLE_VALUE`]).
pub fn keepable(name: &str, value: &Datum) -> bool {
    name.len() <= MAX_VARIABLE_NAME
        && !matches!(value, Datum::Data(d) if d.len() > MAX_VARIABLE_VALUE)
}

impl Ran {
    /// The variables to keep in the lease: `previous` (those it kept already, as dhcpd keeps a
    /// lease's scope from one acknowledgement to the next) with these set over them, each name
    /// once with the value it was set to last, within [`MAX_KEPT_VARIABLES`],
    /// [`MAX_VARIABLE_NAME`] and [`MAX_VARIABLE_VALUE`].
    pub fn kept_over(&self, previous: &[(String, Datum)]) -> Vec<(String, Datum)> {
        let mut kept: Vec<(String, Datum)> = Vec::new();
        let fits = |(name, value): &&(String, Datum)| keepable(name, value);
        for (name, value) in previous.iter().chain(&self.variables).filter(fits) {
            if kept.len() == MAX_KEPT_VARIABLES && !kept.iter().any(|(n, _)| n == name) {
                continue;
            }
            match kept.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value.clone(),
                None => kept.push((name.clone(), value.clone())),
            }
        }
        kept
    }
}

/// A value as a program argument or a log line: octets up to the first NUL (dhcpd hands C
/// strings to `execvp` and `log_info`), a number in decimal.
fn text(value: Datum) -> String {
    match value {
        Datum::Data(bytes) => {
            let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
            String::from_utf8_lossy(bytes.get(..end).unwrap_or_default()).into_owned()
        }
        Datum::Number(n) => n.to_string(),
        Datum::Bool(b) => b.to_string(),
    }
}

/// Runs `actions` for `request`; the variables they bind are seen by the statements after
/// them, over the request's own.
pub(crate) fn run(actions: &[Action], request: &Request<'_>) -> Ran {
    let mut ran = Ran::default();
    let mut variables = request.variables.to_vec();
    run_into(actions, request, &mut variables, &mut ran);
    ran
}

fn run_into(
    actions: &[Action],
    request: &Request<'_>,
    variables: &mut Vec<(String, Datum)>,
    ran: &mut Ran,
) {
    for action in actions {
        let now = Request {
            variables,
            ..*request
        };
        match action {
            Action::Set(name, e) => {
                if let Some(value) = e.evaluate(&now) {
                    variables.push((name.clone(), value.clone()));
                    ran.variables.push((name.clone(), value));
                }
            }
            Action::Log(priority, e) => {
                if let Some(value) = e.evaluate(&now) {
                    ran.effects.push(Effect::Log(*priority, text(value)));
                }
            }
            Action::Execute(program, args) => {
                let args: Option<Vec<String>> =
                    args.iter().map(|a| a.evaluate(&now).map(text)).collect();
                if let Some(args) = args {
                    ran.effects.push(Effect::Execute {
                        program: program.clone(),
                        args,
                    });
                }
            }
            Action::Settings(params) => {
                let mut later = (**params).clone();
                later.inherit(&ran.settings);
                ran.settings = later;
            }
            Action::If(branches) => {
                let taken = branches
                    .iter()
                    .find(|(c, _)| c.as_ref().is_none_or(|c| c.holds(&now)));
                if let Some((_, body)) = taken {
                    run_into(body, request, variables, ran);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use charrua_wire::{Message, OptionCode};

    use super::*;

    fn request(msg: &Message) -> Request<'_> {
        Request {
            address: Some(core::net::Ipv4Addr::new(198, 18, 0, 7)),
            ..Request::of(msg)
        }
    }

    fn text(s: &str) -> Expr {
        Expr::Const(s.as_bytes().to_vec())
    }

    #[test]
    fn set_binds_for_later_statements_and_is_kept_once_per_name() {
        let msg = Message::default();
        let actions = [
            Action::Set("a".into(), text("one")),
            Action::Set("a".into(), text("two")),
            Action::Log(LogPriority::Info, Expr::Variable("a".into())),
            Action::Execute(
                "/bin/x".into(),
                vec![Expr::Variable("a".into()), text("b\0c")],
            ),
        ];
        let ran = run(&actions, &request(&msg));
        assert_eq!(
            ran.effects,
            [
                Effect::Log(LogPriority::Info, "two".into()),
                Effect::Execute {
                    program: "/bin/x".into(),
                    args: vec!["two".into(), "b".into()],
                },
            ]
        );
        assert_eq!(
            ran.kept_over(&[]),
            [("a".to_string(), Datum::Data(b"two".to_vec()))]
        );
    }

    #[test]
    fn an_argument_that_evaluates_to_nothing_runs_nothing_and_a_null_log_logs_nothing() {
        let msg = Message::default();
        let actions = [
            Action::Execute("/bin/x".into(), vec![Expr::Option(OptionCode::HOST_NAME)]),
            Action::Log(LogPriority::Error, Expr::Option(OptionCode::HOST_NAME)),
        ];
        assert_eq!(run(&actions, &request(&msg)).effects, []);
    }

    #[test]
    fn the_first_branch_whose_condition_holds_runs() {
        let msg = Message::default();
        let branch = |s: &str| vec![Action::Log(LogPriority::Info, text(s))];
        let actions = [Action::If(vec![
            (Some(Expr::Known), branch("known")),
            (None, branch("unknown")),
        ])];
        assert_eq!(
            run(&actions, &request(&msg)).effects,
            [Effect::Log(LogPriority::Info, "unknown".into())]
        );
    }

    #[test]
    fn variables_beyond_the_limits_are_not_kept() {
        let ran = Ran {
            variables: (0..40)
                .map(|i| (format!("v{i}"), Datum::Number(i)))
                .chain([
                    ("long".repeat(20), Datum::Bool(true)),
                    ("big".into(), Datum::Data(vec![0; 300])),
                ])
                .collect(),
            ..Ran::default()
        };
        let kept = ran.kept_over(&[]);
        assert_eq!(kept.len(), MAX_KEPT_VARIABLES);
        assert!(kept.iter().all(|(n, _)| n.starts_with('v')));
    }
}
