//! Reading pcap and pcapng captures: every captured frame with its link type, numbered from 1
//! as Wireshark numbers them.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;

/// One captured frame.
pub(crate) struct Captured {
    /// 1-based position among the packets of the capture.
    pub(crate) number: u64,
    /// The link type of the interface it was captured on.
    pub(crate) link: DataLink,
    /// The captured octets.
    pub(crate) data: Vec<u8>,
    /// The frame's length on the wire (more than `data` holds when the capture cut it).
    pub(crate) original_len: u32,
    /// What is wrong with the record, though it could be read.
    pub(crate) warning: Option<&'static str>,
}

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CaptureError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Neither a pcap nor a pcapng file.
    #[error("not a pcap or pcapng capture (magic number {0:08x})")]
    UnknownFormat(u32),
    /// The capture is malformed.
    #[error("malformed capture: {0}")]
    Format(#[from] pcap_file::PcapError),
    /// A pcapng section of a version this reader does not know (its blocks cannot be read).
    #[error("pcapng section of unknown version {0}.{1}")]
    SectionVersion(u16, u16),
}

const PCAPNG_MAGIC: u32 = 0x0a0d_0d0a;
/// Block types of pcapng custom blocks, copyable and not.
const CUSTOM_BLOCKS: [u32; 2] = [0x0000_0bad, 0x4000_0bad];
const PCAP_MAGICS: [u32; 4] = [0xa1b2_c3d4, 0xd4c3_b2a1, 0xa1b2_3c4d, 0x4d3c_b2a1];

/// Reads every frame of the capture at `path`, calling `each` for every frame in order. Frames
/// read before a malformed block are still passed on; the error is returned after them.
pub(crate) fn read(path: &Path, mut each: impl FnMut(Captured)) -> Result<(), CaptureError> {
    let mut file = BufReader::new(File::open(path)?);
    let mut magic = [0u8; 4];
    file.read_exact(&mut magic)?;
    let file = std::io::Cursor::new(magic).chain(file);
    match u32::from_be_bytes(magic) {
        PCAPNG_MAGIC => read_pcapng(file, &mut each),
        m if PCAP_MAGICS.contains(&m) => read_pcap(file, &mut each),
        other => Err(CaptureError::UnknownFormat(other)),
    }
}

/// Records are read without pcap-file's checks against the snapshot length, which tshark does
/// not make either: a record longer than the header's snapshot length (as some writers leave)
/// is read and flagged.
fn read_pcap(file: impl Read, each: &mut impl FnMut(Captured)) -> Result<(), CaptureError> {
    let mut reader = PcapReader::new(file)?;
    let header = reader.header();
    // The link type is the low 16 bits of its header word; the bits above carry the FCS length
    // (pcap file format, section "LinkType and additional information").
    let link = DataLink::from(u32::from(header.datalink) & 0xffff);
    let mut number = 0;
    while let Some(packet) = reader.next_raw_packet() {
        let packet = packet?;
        number += 1;
        let warning = (packet.incl_len > header.snaplen)
            .then_some("the record is longer than the capture's snapshot length");
        each(Captured {
            number,
            link,
            original_len: packet.orig_len,
            data: packet.data.into_owned(),
            warning,
        });
    }
    Ok(())
}

fn read_pcapng(file: impl Read, each: &mut impl FnMut(Captured)) -> Result<(), CaptureError> {
    let mut reader = PcapNgReader::new(file)?;
    // Interfaces are numbered per section, in the order of their description blocks.
    let mut interfaces: Vec<DataLink> = Vec::new();
    let mut number = 0;
    while let Some(block) = reader.next_block() {
        let link_of = |id: u32, interfaces: &[DataLink]| {
            interfaces
                .get(id as usize)
                .copied()
                .unwrap_or(DataLink::Unknown(u32::MAX))
        };
        let (link, data, original_len) = match block? {
            // Version 1.x is the only one defined: a reader must not guess at another, and
            // tshark stops there too.
            Block::SectionHeader(shb) if shb.major_version != 1 => {
                return Err(CaptureError::SectionVersion(
                    shb.major_version,
                    shb.minor_version,
                ));
            }
            Block::SectionHeader(_) => {
                interfaces.clear();
                continue;
            }
            Block::InterfaceDescription(idb) => {
                interfaces.push(idb.linktype);
                continue;
            }
            Block::EnhancedPacket(epb) => (
                link_of(epb.interface_id, &interfaces),
                epb.data,
                epb.original_len,
            ),
            Block::Packet(pb) => (
                link_of(u32::from(pb.interface_id), &interfaces),
                pb.data,
                pb.original_len,
            ),
            Block::SimplePacket(spb) => (link_of(0, &interfaces), spb.data, spb.original_len),
            // Records that Wireshark numbers as frames though they carry no packet: custom
            // blocks (pcapng section 4.8) and systemd journal entries.
            Block::Unknown(block) if CUSTOM_BLOCKS.contains(&block.type_) => {
                number += 1;
                continue;
            }
            Block::SystemdJournalExport(_) => {
                number += 1;
                continue;
            }
            _ => continue,
        };
        number += 1;
        each(Captured {
            number,
            link,
            data: data.into_owned(),
            original_len,
            warning: None,
        });
    }
    Ok(())
}
