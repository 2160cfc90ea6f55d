//! The one table of option definitions: code, ISC dhcpd name and value format.
//!
//! The config parser, the lease-file writer, pretty printing and JSON output all read this table;
//! the named [`OptionCode`] constants are generated from the same lines, so a code and its name
//! cannot drift apart.

use super::{Format, OptionCode};

/// One row of the option table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDef {
    /// The option code.
    pub code: OptionCode,
    /// The name ISC dhcpd uses in `dhcpd.conf` and `dhcpd.leases` (or the IANA/dnsmasq name for
    /// options ISC does not define).
    pub name: &'static str,
    /// How the value is laid out on the wire and written as text.
    pub format: Format,
    /// Where the option is defined.
    pub rfc: &'static str,
}

macro_rules! option_table {
    ($($(#[$doc:meta])* $konst:ident = $code:literal, $name:literal, $format:ident, $rfc:literal;)*) => {
        impl OptionCode {
            $(
                $(#[$doc])*
                pub const $konst: Self = Self($code);
            )*
        }

        /// Every option the library knows, in code order.
        pub static TABLE: &[OptionDef] = &[
            $(OptionDef {
                code: OptionCode($code),
                name: $name,
                format: Format::$format,
                rfc: $rfc,
            },)*
        ];
    };
}

option_table! {
    /// Subnet mask (RFC 2132 section 3.3).
    SUBNET_MASK = 1, "subnet-mask", Ip, "RFC 2132 3.3";
    /// Time offset from UTC in seconds (RFC 2132 section 3.4).
    TIME_OFFSET = 2, "time-offset", I32, "RFC 2132 3.4";
    /// Routers (RFC 2132 section 3.5).
    ROUTERS = 3, "routers", IpList, "RFC 2132 3.5";
    /// Time servers (RFC 2132 section 3.6).
    TIME_SERVERS = 4, "time-servers", IpList, "RFC 2132 3.6";
    /// IEN 116 name servers (RFC 2132 section 3.7).
    IEN116_NAME_SERVERS = 5, "ien116-name-servers", IpList, "RFC 2132 3.7";
    /// Domain name servers (RFC 2132 section 3.8).
    DOMAIN_NAME_SERVERS = 6, "domain-name-servers", IpList, "RFC 2132 3.8";
    /// Log servers (RFC 2132 section 3.9).
    LOG_SERVERS = 7, "log-servers", IpList, "RFC 2132 3.9";
    /// Cookie servers (RFC 2132 section 3.10).
    COOKIE_SERVERS = 8, "cookie-servers", IpList, "RFC 2132 3.10";
    /// LPR servers (RFC 2132 section 3.11).
    LPR_SERVERS = 9, "lpr-servers", IpList, "RFC 2132 3.11";
    /// Impress servers (RFC 2132 section 3.12).
    IMPRESS_SERVERS = 10, "impress-servers", IpList, "RFC 2132 3.12";
    /// Resource location servers (RFC 2132 section 3.13).
    RESOURCE_LOCATION_SERVERS = 11, "resource-location-servers", IpList, "RFC 2132 3.13";
    /// Host name (RFC 2132 section 3.14).
    HOST_NAME = 12, "host-name", Text, "RFC 2132 3.14";
    /// Boot file size in 512-octet blocks (RFC 2132 section 3.15).
    BOOT_SIZE = 13, "boot-size", U16, "RFC 2132 3.15";
    /// Merit dump file (RFC 2132 section 3.16).
    MERIT_DUMP = 14, "merit-dump", Text, "RFC 2132 3.16";
    /// Domain name (RFC 2132 section 3.17).
    DOMAIN_NAME = 15, "domain-name", Text, "RFC 2132 3.17";
    /// Swap server (RFC 2132 section 3.18).
    SWAP_SERVER = 16, "swap-server", Ip, "RFC 2132 3.18";
    /// Root path (RFC 2132 section 3.19).
    ROOT_PATH = 17, "root-path", Text, "RFC 2132 3.19";
    /// Extensions path (RFC 2132 section 3.20).
    EXTENSIONS_PATH = 18, "extensions-path", Text, "RFC 2132 3.20";
    /// IP forwarding (RFC 2132 section 4.1).
    IP_FORWARDING = 19, "ip-forwarding", Bool, "RFC 2132 4.1";
    /// Non-local source routing (RFC 2132 section 4.2).
    NON_LOCAL_SOURCE_ROUTING = 20, "non-local-source-routing", Bool, "RFC 2132 4.2";
    /// Policy filter: address and mask pairs (RFC 2132 section 4.3).
    POLICY_FILTER = 21, "policy-filter", IpPairs, "RFC 2132 4.3";
    /// Maximum datagram reassembly size (RFC 2132 section 4.4).
    MAX_DGRAM_REASSEMBLY = 22, "max-dgram-reassembly", U16, "RFC 2132 4.4";
    /// Default IP TTL (RFC 2132 section 4.5).
    DEFAULT_IP_TTL = 23, "default-ip-ttl", U8, "RFC 2132 4.5";
    /// Path MTU aging timeout (RFC 2132 section 4.6).
    PATH_MTU_AGING_TIMEOUT = 24, "path-mtu-aging-timeout", U32, "RFC 2132 4.6";
    /// Path MTU plateau table (RFC 2132 section 4.7).
    PATH_MTU_PLATEAU_TABLE = 25, "path-mtu-plateau-table", U16List, "RFC 2132 4.7";
    /// Interface MTU (RFC 2132 section 5.1).
    INTERFACE_MTU = 26, "interface-mtu", U16, "RFC 2132 5.1";
    /// All subnets are local (RFC 2132 section 5.2).
    ALL_SUBNETS_LOCAL = 27, "all-subnets-local", Bool, "RFC 2132 5.2";
    /// Broadcast address (RFC 2132 section 5.3).
    BROADCAST_ADDRESS = 28, "broadcast-address", Ip, "RFC 2132 5.3";
    /// Perform mask discovery (RFC 2132 section 5.4).
    PERFORM_MASK_DISCOVERY = 29, "perform-mask-discovery", Bool, "RFC 2132 5.4";
    /// Mask supplier (RFC 2132 section 5.5).
    MASK_SUPPLIER = 30, "mask-supplier", Bool, "RFC 2132 5.5";
    /// Perform router discovery (RFC 2132 section 5.6).
    ROUTER_DISCOVERY = 31, "router-discovery", Bool, "RFC 2132 5.6";
    /// Router solicitation address (RFC 2132 section 5.7).
    ROUTER_SOLICITATION_ADDRESS = 32, "router-solicitation-address", Ip, "RFC 2132 5.7";
    /// Static routes: destination and router pairs (RFC 2132 section 5.8).
    STATIC_ROUTES = 33, "static-routes", IpPairs, "RFC 2132 5.8";
    /// Trailer encapsulation (RFC 2132 section 6.1).
    TRAILER_ENCAPSULATION = 34, "trailer-encapsulation", Bool, "RFC 2132 6.1";
    /// ARP cache timeout (RFC 2132 section 6.2).
    ARP_CACHE_TIMEOUT = 35, "arp-cache-timeout", U32, "RFC 2132 6.2";
    /// Ethernet encapsulation (RFC 2132 section 6.3).
    IEEE802_3_ENCAPSULATION = 36, "ieee802-3-encapsulation", Bool, "RFC 2132 6.3";
    /// TCP default TTL (RFC 2132 section 7.1).
    DEFAULT_TCP_TTL = 37, "default-tcp-ttl", U8, "RFC 2132 7.1";
    /// TCP keepalive interval (RFC 2132 section 7.2).
    TCP_KEEPALIVE_INTERVAL = 38, "tcp-keepalive-interval", U32, "RFC 2132 7.2";
    /// TCP keepalive garbage (RFC 2132 section 7.3).
    TCP_KEEPALIVE_GARBAGE = 39, "tcp-keepalive-garbage", Bool, "RFC 2132 7.3";
    /// NIS domain (RFC 2132 section 8.1).
    NIS_DOMAIN = 40, "nis-domain", Text, "RFC 2132 8.1";
    /// NIS servers (RFC 2132 section 8.2).
    NIS_SERVERS = 41, "nis-servers", IpList, "RFC 2132 8.2";
    /// NTP servers (RFC 2132 section 8.3).
    NTP_SERVERS = 42, "ntp-servers", IpList, "RFC 2132 8.3";
    /// Vendor-specific information (RFC 2132 section 8.4).
    VENDOR_ENCAPSULATED_OPTIONS = 43, "vendor-encapsulated-options", Bytes, "RFC 2132 8.4";
    /// NetBIOS over TCP/IP name servers (RFC 2132 section 8.5).
    NETBIOS_NAME_SERVERS = 44, "netbios-name-servers", IpList, "RFC 2132 8.5";
    /// NetBIOS datagram distribution servers (RFC 2132 section 8.6).
    NETBIOS_DD_SERVER = 45, "netbios-dd-server", IpList, "RFC 2132 8.6";
    /// NetBIOS node type (RFC 2132 section 8.7).
    NETBIOS_NODE_TYPE = 46, "netbios-node-type", U8, "RFC 2132 8.7";
    /// NetBIOS scope (RFC 2132 section 8.8).
    NETBIOS_SCOPE = 47, "netbios-scope", Text, "RFC 2132 8.8";
    /// X Window font servers (RFC 2132 section 8.9).
    FONT_SERVERS = 48, "font-servers", IpList, "RFC 2132 8.9";
    /// X Window display managers (RFC 2132 section 8.10).
    X_DISPLAY_MANAGER = 49, "x-display-manager", IpList, "RFC 2132 8.10";
    /// Requested IP address (RFC 2132 section 9.1).
    REQUESTED_ADDRESS = 50, "dhcp-requested-address", Ip, "RFC 2132 9.1";
    /// IP address lease time (RFC 2132 section 9.2).
    LEASE_TIME = 51, "dhcp-lease-time", U32, "RFC 2132 9.2";
    /// Option overload (RFC 2132 section 9.3); framing, consumed by the codec.
    OVERLOAD = 52, "dhcp-option-overload", U8, "RFC 2132 9.3";
    /// DHCP message type (RFC 2132 section 9.6).
    MESSAGE_TYPE = 53, "dhcp-message-type", U8, "RFC 2132 9.6";
    /// Server identifier (RFC 2132 section 9.7).
    SERVER_IDENTIFIER = 54, "dhcp-server-identifier", Ip, "RFC 2132 9.7";
    /// Parameter request list (RFC 2132 section 9.8).
    PARAMETER_REQUEST_LIST = 55, "dhcp-parameter-request-list", U8List, "RFC 2132 9.8";
    /// Message (RFC 2132 section 9.9).
    MESSAGE = 56, "dhcp-message", Text, "RFC 2132 9.9";
    /// Maximum DHCP message size (RFC 2132 section 9.10).
    MAX_MESSAGE_SIZE = 57, "dhcp-max-message-size", U16, "RFC 2132 9.10";
    /// Renewal (T1) time (RFC 2132 section 9.11).
    RENEWAL_TIME = 58, "dhcp-renewal-time", U32, "RFC 2132 9.11";
    /// Rebinding (T2) time (RFC 2132 section 9.12).
    REBINDING_TIME = 59, "dhcp-rebinding-time", U32, "RFC 2132 9.12";
    /// Vendor class identifier (RFC 2132 section 9.13).
    VENDOR_CLASS_IDENTIFIER = 60, "vendor-class-identifier", Bytes, "RFC 2132 9.13";
    /// Client identifier (RFC 2132 section 9.14).
    CLIENT_IDENTIFIER = 61, "dhcp-client-identifier", Bytes, "RFC 2132 9.14";
    /// NetWare/IP domain name (RFC 2242).
    NWIP_DOMAIN = 62, "nwip-domain", Text, "RFC 2242";
    /// NetWare/IP sub-options (RFC 2242).
    NWIP_SUBOPTIONS = 63, "nwip-suboptions", Bytes, "RFC 2242";
    /// NIS+ domain (RFC 2132 section 8.11).
    NISPLUS_DOMAIN = 64, "nisplus-domain", Text, "RFC 2132 8.11";
    /// NIS+ servers (RFC 2132 section 8.12).
    NISPLUS_SERVERS = 65, "nisplus-servers", IpList, "RFC 2132 8.12";
    /// TFTP server name (RFC 2132 section 9.4).
    TFTP_SERVER_NAME = 66, "tftp-server-name", Text, "RFC 2132 9.4";
    /// Boot file name (RFC 2132 section 9.5).
    BOOTFILE_NAME = 67, "bootfile-name", Text, "RFC 2132 9.5";
    /// Mobile IP home agents (RFC 2132 section 8.13).
    MOBILE_IP_HOME_AGENT = 68, "mobile-ip-home-agent", IpList, "RFC 2132 8.13";
    /// SMTP servers (RFC 2132 section 8.14).
    SMTP_SERVER = 69, "smtp-server", IpList, "RFC 2132 8.14";
    /// POP3 servers (RFC 2132 section 8.15).
    POP_SERVER = 70, "pop-server", IpList, "RFC 2132 8.15";
    /// NNTP servers (RFC 2132 section 8.16).
    NNTP_SERVER = 71, "nntp-server", IpList, "RFC 2132 8.16";
    /// WWW servers (RFC 2132 section 8.17).
    WWW_SERVER = 72, "www-server", IpList, "RFC 2132 8.17";
    /// Finger servers (RFC 2132 section 8.18).
    FINGER_SERVER = 73, "finger-server", IpList, "RFC 2132 8.18";
    /// IRC servers (RFC 2132 section 8.19).
    IRC_SERVER = 74, "irc-server", IpList, "RFC 2132 8.19";
    /// StreetTalk servers (RFC 2132 section 8.20).
    STREETTALK_SERVER = 75, "streettalk-server", IpList, "RFC 2132 8.20";
    /// StreetTalk directory assistance servers (RFC 2132 section 8.21).
    STREETTALK_DA_SERVER = 76, "streettalk-directory-assistance-server", IpList, "RFC 2132 8.21";
    /// User class: length-prefixed instances (RFC 3004).
    USER_CLASS = 77, "user-class", Blobs, "RFC 3004";
    /// Rapid commit: empty (RFC 4039).
    RAPID_COMMIT = 80, "rapid-commit", Empty, "RFC 4039";
    /// Client FQDN (RFC 4702).
    CLIENT_FQDN = 81, "fqdn", Fqdn, "RFC 4702";
    /// Relay agent information, sub-options (RFC 3046).
    RELAY_AGENT_INFORMATION = 82, "relay-agent-information", SubOptions, "RFC 3046";
    /// NDS servers (RFC 2241).
    NDS_SERVERS = 85, "nds-servers", IpList, "RFC 2241";
    /// NDS tree name (RFC 2241).
    NDS_TREE_NAME = 86, "nds-tree-name", Text, "RFC 2241";
    /// NDS context (RFC 2241).
    NDS_CONTEXT = 87, "nds-context", Text, "RFC 2241";
    /// BCMCS controller domain names (RFC 4280).
    BCMS_CONTROLLER_NAMES = 88, "bcms-controller-names", DomainList, "RFC 4280";
    /// BCMCS controller addresses (RFC 4280).
    BCMS_CONTROLLER_ADDRESS = 89, "bcms-controller-address", IpList, "RFC 4280";
    /// Authentication (RFC 3118).
    AUTHENTICATE = 90, "authenticate", Bytes, "RFC 3118";
    /// Client last transaction time (RFC 4388).
    CLIENT_LAST_TRANSACTION_TIME = 91, "client-last-transaction-time", U32, "RFC 4388";
    /// Associated IP addresses (RFC 4388).
    ASSOCIATED_IP = 92, "associated-ip", IpList, "RFC 4388";
    /// Client system architecture types (RFC 4578).
    PXE_SYSTEM_TYPE = 93, "pxe-system-type", U16List, "RFC 4578";
    /// Client network device interface: type, major, minor (RFC 4578).
    PXE_INTERFACE_ID = 94, "pxe-interface-id", U8List, "RFC 4578";
    /// Client machine identifier: type and UUID/GUID (RFC 4578).
    PXE_CLIENT_ID = 97, "pxe-client-id", Tagged, "RFC 4578";
    /// User authentication protocol servers, URLs (RFC 2485).
    UAP_SERVERS = 98, "uap-servers", Text, "RFC 2485";
    /// Civic location (RFC 4776).
    GEOCONF_CIVIC = 99, "geoconf-civic", Bytes, "RFC 4776";
    /// POSIX time zone string (RFC 4833).
    PCODE = 100, "pcode", Text, "RFC 4833";
    /// Time zone database name (RFC 4833).
    TCODE = 101, "tcode", Text, "RFC 4833";
    /// IPv6-only preferred, seconds (RFC 8925).
    V6_ONLY_PREFERRED = 108, "v6-only-preferred", U32, "RFC 8925";
    /// NetInfo parent server addresses (Apple; RFC 3679 lists it).
    NETINFO_SERVER_ADDRESS = 112, "netinfo-server-address", IpList, "RFC 3679";
    /// NetInfo parent server tag (Apple; RFC 3679 lists it).
    NETINFO_SERVER_TAG = 113, "netinfo-server-tag", Text, "RFC 3679";
    /// Captive portal URI (RFC 8910; ISC's name from its earlier use).
    DEFAULT_URL = 114, "default-url", Text, "RFC 8910";
    /// Auto-configure: 0 do not, 1 do (RFC 2563).
    AUTO_CONFIG = 116, "auto-config", U8, "RFC 2563";
    /// Name service search order (RFC 2937).
    NAME_SERVICE_SEARCH = 117, "name-service-search", U16List, "RFC 2937";
    /// Subnet selection (RFC 3011).
    SUBNET_SELECTION = 118, "subnet-selection", Ip, "RFC 3011";
    /// Domain search list, RFC 1035 names with compression (RFC 3397).
    DOMAIN_SEARCH = 119, "domain-search", DomainList, "RFC 3397";
    /// Classless static routes (RFC 3442).
    CLASSLESS_STATIC_ROUTES = 121, "classless-static-routes", Routes, "RFC 3442";
    /// Vendor-identifying vendor class (RFC 3925).
    VIVCO = 124, "vivco", Vendors, "RFC 3925";
    /// Vendor-identifying vendor-specific information (RFC 3925).
    VIVSO = 125, "vivso", Vendors, "RFC 3925";
    /// Forcerenew nonce capable: supported algorithms (RFC 6704).
    FORCERENEW_NONCE_CAPABLE = 145, "forcerenew-nonce-capable", U8List, "RFC 6704";
    /// TFTP server addresses (RFC 5859).
    TFTP_SERVER_ADDRESS = 150, "tftp-server-address", IpList, "RFC 5859";
    /// Leasequery status code and message (RFC 6926).
    STATUS_CODE = 151, "status-code", Status, "RFC 6926";
    /// Leasequery base time (RFC 6926).
    BASE_TIME = 152, "base-time", U32, "RFC 6926";
    /// Leasequery start time of state (RFC 6926).
    START_TIME_OF_STATE = 153, "start-time-of-state", U32, "RFC 6926";
    /// Leasequery query start time (RFC 6926).
    QUERY_START_TIME = 154, "query-start-time", U32, "RFC 6926";
    /// Leasequery query end time (RFC 6926).
    QUERY_END_TIME = 155, "query-end-time", U32, "RFC 6926";
    /// Leasequery DHCP state (RFC 6926).
    DHCP_STATE = 156, "dhcp-state", U8, "RFC 6926";
    /// Leasequery data source (RFC 6926).
    DATA_SOURCE = 157, "data-source", U8, "RFC 6926";
    /// Captive portal URI, first assignment (RFC 7710, replaced by option 114).
    V4_CAPTIVE_PORTAL = 160, "v4-captive-portal", Text, "RFC 7710";
    /// Manufacturer usage description URL (RFC 8520).
    MUD_URL = 161, "mud-url", Text, "RFC 8520";
    /// PXELINUX configuration file (RFC 5071).
    PXELINUX_CONFIGFILE = 209, "loader-configfile", Text, "RFC 5071";
    /// PXELINUX path prefix (RFC 5071).
    PXELINUX_PATHPREFIX = 210, "loader-pathprefix", Text, "RFC 5071";
    /// PXELINUX reboot time (RFC 5071).
    PXELINUX_REBOOTTIME = 211, "loader-reboottime", U32, "RFC 5071";
    /// IPv6 rapid deployment (RFC 5969).
    OPTION_6RD = 212, "option-6rd", SixRd, "RFC 5969";
    /// Access network domain name, one RFC 1035 name (RFC 5986).
    V4_ACCESS_DOMAIN = 213, "v4-access-domain", DomainName, "RFC 5986";
    /// Microsoft classless static routes (same layout as RFC 3442).
    MS_CLASSLESS_STATIC_ROUTES = 249, "ms-classless-static-routes", Routes, "MS-DHCPE";
    /// Web proxy auto-discovery URL (draft-ietf-wrec-wpad).
    WPAD_URL = 252, "wpad-url", Text, "draft-ietf-wrec-wpad-01";
}

/// `INDEX[code]` is one more than the position of `code` in [`TABLE`], or 0 when absent.
static INDEX: [u8; 256] = build_index();

// Compile-time only: an out-of-range index would fail the build, not a run.
#[allow(clippy::indexing_slicing)]
const fn build_index() -> [u8; 256] {
    let mut index = [0u8; 256];
    let mut i = 0;
    while i < TABLE.len() {
        // The table has fewer than 255 rows, so `i + 1` fits in a u8.
        index[TABLE[i].code.0 as usize] = (i + 1) as u8;
        i += 1;
    }
    index
}

/// The definition of `code`, if the table has one. Constant time.
pub fn lookup(code: OptionCode) -> Option<&'static OptionDef> {
    let slot = usize::from(*INDEX.get(usize::from(code.0))?);
    TABLE.get(slot.checked_sub(1)?)
}

/// The definition whose ISC name is `name` (ASCII case-insensitive, as ISC dhcpd reads names).
pub fn lookup_name(name: &str) -> Option<&'static OptionDef> {
    TABLE.iter().find(|def| def.name.eq_ignore_ascii_case(name))
}
