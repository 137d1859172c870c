//! Walking several table columns at once with GETBULK: each request asks for the next cells of
//! every column still going, so a table of N rows and C columns takes about N·C / budget
//! requests instead of C separate walks. Agents answer row by row (RFC 3416 §4.2.3); a column
//! ends where the agent's next OID leaves it.

use async_snmp::{Client, Error, ErrorKind, ErrorStatus, Oid, UdpHandle, Value};

use crate::catalogue::Column;
use crate::fault::Fault;

/// The cells of one column: each row's index (the OID arcs after the column) and its value.
pub(crate) type Cells = Vec<(Vec<u32>, Value)>;

/// Walks `columns` together; at most `max_cells` cells in all (a larger table is refused, so a
/// hostile or broken agent cannot make the poller hold an unbounded answer).
pub(crate) async fn walk_columns(
    client: &Client<UdpHandle>,
    columns: &[Column],
    mut per_request: usize,
    max_cells: usize,
) -> Result<Vec<Cells>, Fault> {
    let roots: Vec<Oid> = columns.iter().map(|c| Oid::from_slice(&c.oid())).collect();
    let mut cursors: Vec<Option<Oid>> = roots.iter().cloned().map(Some).collect();
    let mut cells: Vec<Cells> = vec![Vec::new(); columns.len()];
    let mut total = 0usize;
    // The first request asks for the first column's first cell only: the first column says
    // whether the agent has the table at all, and a table it lacks then costs one small
    // answer — not a cell after the table for every column, which can be many long values
    // that some agents (snmpsim over SNMPv3) drop instead of answering tooBig.
    let mut first = true;
    // Once: an answer dropped for its size looks like a timeout; ask again for one row.
    let mut shrunk_after_timeout = false;
    loop {
        let active: Vec<usize> = if first {
            vec![0]
        } else {
            (0..columns.len())
                .filter(|&c| cursors[c].is_some())
                .collect()
        };
        if active.is_empty() {
            return Ok(cells);
        }
        let asked: Vec<Oid> = active.iter().filter_map(|&c| cursors[c].clone()).collect();
        let repetitions = if first {
            1
        } else {
            u32::try_from((per_request / active.len()).max(1)).unwrap_or(1)
        };
        let answer = match client.get_bulk(&asked, 0, repetitions).await {
            Ok(answer) => answer,
            // An agent whose answer would not fit its message size says tooBig, and some
            // (net-snmp over SNMPv3) genErr: ask for fewer rows until one row is too many.
            Err(e) if repetitions > 1 && too_big(&e) => {
                per_request = (per_request / 2).max(1);
                continue;
            }
            Err(e)
                if repetitions > 1 && !shrunk_after_timeout && e.kind() == ErrorKind::Timeout =>
            {
                shrunk_after_timeout = true;
                per_request = active.len();
                continue;
            }
            Err(e) => return Err(Fault::from(e)),
        };
        if answer.is_empty() {
            return Err(Fault::malformed("an empty answer to GETBULK"));
        }
        for (i, varbind) in answer.into_iter().enumerate() {
            let slot = i % active.len();
            let c = active[slot];
            let Some(cursor) = &cursors[c] else {
                continue;
            };
            let Some(index) = varbind.oid.strip_prefix(&roots[c]) else {
                // Past the column (or endOfMibView): this column is done.
                cursors[c] = None;
                continue;
            };
            if matches!(varbind.value, Value::EndOfMibView) || index.is_empty() {
                cursors[c] = None;
                continue;
            }
            if varbind.oid <= *cursor {
                return Err(Fault::malformed(format!(
                    "the agent answered {} after {cursor}: OIDs must increase",
                    varbind.oid
                )));
            }
            total += 1;
            if total > max_cells {
                return Err(Fault::malformed(format!(
                    "the tables hold more than {max_cells} cells (snmp.max_cells)"
                )));
            }
            cells[c].push((index.arcs().to_vec(), varbind.value));
            cursors[c] = Some(varbind.oid);
        }
        if std::mem::take(&mut first) && cursors[0].is_none() {
            // No first column: the agent does not have this table.
            return Ok(cells);
        }
        // A column a truncated answer cut off is asked again from its cursor; every column
        // that got a cell moved forward, so the walk ends within `max_cells`.
    }
}

fn too_big(error: &Error) -> bool {
    match error {
        Error::Snmp { status, .. } => matches!(status, ErrorStatus::TooBig | ErrorStatus::GenErr),
        Error::Exchange { source, .. } => too_big(source),
        _ => false,
    }
}
