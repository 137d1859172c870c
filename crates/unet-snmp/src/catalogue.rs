//! The OIDs μNet polls: the system group, IF-MIB's ifTable and ifXTable, and LLDP-MIB's local
//! port and remote tables. Columns are walked together, a row's cells come from one request.

/// `sysDescr.0`, `sysObjectID.0`, `sysUpTime.0`, `sysContact.0`, `sysName.0`, `sysLocation.0`.
pub(crate) const SYSTEM: [&[u32]; 6] = [
    &[1, 3, 6, 1, 2, 1, 1, 1, 0],
    &[1, 3, 6, 1, 2, 1, 1, 2, 0],
    &[1, 3, 6, 1, 2, 1, 1, 3, 0],
    &[1, 3, 6, 1, 2, 1, 1, 4, 0],
    &[1, 3, 6, 1, 2, 1, 1, 5, 0],
    &[1, 3, 6, 1, 2, 1, 1, 6, 0],
];

const IF_ENTRY: [u32; 9] = [1, 3, 6, 1, 2, 1, 2, 2, 1];
const IFX_ENTRY: [u32; 10] = [1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
const LOC: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 3, 7, 1];
const REM: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 4, 1, 1];

/// One table column: its OID is the table entry's plus the column number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    entry: &'static [u32],
    number: u32,
}

impl Column {
    pub(crate) fn oid(self) -> Vec<u32> {
        let mut oid = self.entry.to_vec();
        oid.push(self.number);
        oid
    }
}

const fn col(entry: &'static [u32], number: u32) -> Column {
    Column { entry, number }
}

/// The interface columns, walked together (ifXTable's are absent on some devices: those
/// columns end at once).
pub(crate) const INTERFACE_COLUMNS: [Column; 16] = [
    col(&IF_ENTRY, 2),   // ifDescr
    col(&IF_ENTRY, 5),   // ifSpeed
    col(&IF_ENTRY, 7),   // ifAdminStatus
    col(&IF_ENTRY, 8),   // ifOperStatus
    col(&IF_ENTRY, 9),   // ifLastChange
    col(&IF_ENTRY, 10),  // ifInOctets
    col(&IF_ENTRY, 13),  // ifInDiscards
    col(&IF_ENTRY, 14),  // ifInErrors
    col(&IF_ENTRY, 16),  // ifOutOctets
    col(&IF_ENTRY, 19),  // ifOutDiscards
    col(&IF_ENTRY, 20),  // ifOutErrors
    col(&IFX_ENTRY, 1),  // ifName
    col(&IFX_ENTRY, 6),  // ifHCInOctets
    col(&IFX_ENTRY, 10), // ifHCOutOctets
    col(&IFX_ENTRY, 15), // ifHighSpeed
    col(&IFX_ENTRY, 18), // ifAlias
];

/// Positions in `INTERFACE_COLUMNS`.
pub(crate) mod ifc {
    pub const DESCR: usize = 0;
    pub const SPEED: usize = 1;
    pub const ADMIN: usize = 2;
    pub const OPER: usize = 3;
    pub const LAST_CHANGE: usize = 4;
    pub const IN_OCTETS: usize = 5;
    pub const IN_DISCARDS: usize = 6;
    pub const IN_ERRORS: usize = 7;
    pub const OUT_OCTETS: usize = 8;
    pub const OUT_DISCARDS: usize = 9;
    pub const OUT_ERRORS: usize = 10;
    pub const NAME: usize = 11;
    pub const HC_IN_OCTETS: usize = 12;
    pub const HC_OUT_OCTETS: usize = 13;
    pub const HIGH_SPEED: usize = 14;
    pub const ALIAS: usize = 15;
}

/// LLDP-MIB columns: the remote systems (indexed by
/// lldpRemTimeMark.lldpRemLocalPortNum.lldpRemIndex) first, the chassis id leading — whether a
/// device has neighbours decides whether the rest is read — then the local ports (indexed by
/// lldpLocPortNum).
pub(crate) const LLDP_COLUMNS: [Column; 9] = [
    col(REM, 5), // lldpRemChassisId: every neighbour has one
    col(REM, 4), // lldpRemChassisIdSubtype
    col(REM, 6), // lldpRemPortIdSubtype
    col(REM, 7), // lldpRemPortId
    col(REM, 8), // lldpRemPortDesc
    col(REM, 9), // lldpRemSysName
    col(LOC, 2), // lldpLocPortIdSubtype
    col(LOC, 3), // lldpLocPortId
    col(LOC, 4), // lldpLocPortDesc
];

/// Positions in `LLDP_COLUMNS`.
pub(crate) mod lldp {
    pub const CHASSIS_ID: usize = 0;
    pub const CHASSIS_SUBTYPE: usize = 1;
    pub const PORT_SUBTYPE: usize = 2;
    pub const PORT_ID: usize = 3;
    pub const PORT_DESC: usize = 4;
    pub const SYS_NAME: usize = 5;
    pub const LOC_PORT_SUBTYPE: usize = 6;
    pub const LOC_PORT_ID: usize = 7;
    pub const LOC_PORT_DESC: usize = 8;
}
