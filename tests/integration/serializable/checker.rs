//! A history checker in the manner of Jepsen's Elle, for list-append histories: every
//! append adds a unique value to a key's list, so a read of a list tells which writes it
//! saw and in what order they were installed. From the committed transactions and the final
//! lists it derives the dependency graph: ww (appended next to the same key), wr (read the
//! list ending in another's append) and rw (read a list that another's append later
//! extended), and finds its cycles (strongly connected components): G0 in ww alone, G1c in
//! ww + wr, G2 with rw too. It also checks G1a (an aborted append seen), G1b (an
//! intermediate append seen), read-your-writes and that reads are prefixes of the final lists.

use std::collections::HashMap;

/// One operation of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Appended `value` to `key`'s list.
    Append { key: u64, value: u64 },
    /// Read `key`'s list.
    Read { key: u64, list: Vec<u64> },
}

/// What the checker found.
#[derive(Debug, Default)]
pub struct Report {
    /// Cycles of ww edges (strongly connected components of more than one transaction).
    pub g0: usize,
    /// Cycles of ww and wr edges.
    pub g1c: usize,
    /// Cycles of all edges (those with an rw edge are G2).
    pub all: usize,
    /// One cycle of the full graph, as transaction indexes, when there is one.
    pub example: Vec<usize>,
    /// Anomalies that need no cycle (G1a, G1b, lost or duplicated appends, bad reads).
    pub problems: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Edge {
    Ww,
    Wr,
    Rw,
}

/// Checks committed transactions (`ops` each, in order) against the final lists and the
/// values appended by aborted transactions.
pub fn check(committed: &[Vec<Op>], finals: &HashMap<u64, Vec<u64>>, aborted: &[u64]) -> Report {
    let mut report = Report::default();
    // Writer and position of each committed append.
    let mut writer: HashMap<u64, usize> = HashMap::new();
    for (txn, ops) in committed.iter().enumerate() {
        for op in ops {
            if let Op::Append { value, .. } = op {
                if writer.insert(*value, txn).is_some() {
                    report
                        .problems
                        .push(format!("value {value} appended twice"));
                }
            }
        }
    }
    let mut position: HashMap<u64, (u64, usize)> = HashMap::new();
    for (key, list) in finals {
        for (at, value) in list.iter().enumerate() {
            if position.insert(*value, (*key, at)).is_some() {
                report
                    .problems
                    .push(format!("value {value} twice in the lists"));
            }
            if !writer.contains_key(value) {
                report.problems.push(format!(
                    "value {value} of key {key} has no committed writer"
                ));
            }
        }
    }
    for value in aborted {
        if position.contains_key(value) {
            report
                .problems
                .push(format!("G1a: aborted append {value} is visible"));
        }
    }
    for value in writer.keys() {
        if !position.contains_key(value) {
            report
                .problems
                .push(format!("committed append {value} was lost"));
        }
    }
    let mut edges: Vec<(usize, usize, Edge)> = Vec::new();
    for list in finals.values() {
        for pair in list.windows(2) {
            let (from, to) = (writer.get(&pair[0]), writer.get(&pair[1]));
            if let (Some(&from), Some(&to)) = (from, to) {
                if from != to {
                    edges.push((from, to, Edge::Ww));
                }
            }
        }
    }
    for (txn, ops) in committed.iter().enumerate() {
        read_edges(
            txn,
            ops,
            committed,
            finals,
            &writer,
            &mut edges,
            &mut report,
        );
    }
    let graph = |kinds: &[Edge]| -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); committed.len()];
        for (from, to, kind) in &edges {
            if kinds.contains(kind) {
                out[*from].push(*to);
            }
        }
        out
    };
    report.g0 = cycles(&graph(&[Edge::Ww])).len();
    report.g1c = cycles(&graph(&[Edge::Ww, Edge::Wr])).len();
    let all = graph(&[Edge::Ww, Edge::Wr, Edge::Rw]);
    let components = cycles(&all);
    report.all = components.len();
    if let Some(component) = components.first() {
        report.example = cycle_in(&all, component);
    }
    report
}

/// The wr and rw edges of one transaction's reads, and its read checks.
fn read_edges(
    txn: usize,
    ops: &[Op],
    committed: &[Vec<Op>],
    finals: &HashMap<u64, Vec<u64>>,
    writer: &HashMap<u64, usize>,
    edges: &mut Vec<(usize, usize, Edge)>,
    report: &mut Report,
) {
    let mut own: Vec<(u64, u64)> = Vec::new();
    for op in ops {
        let (key, list) = match op {
            Op::Append { key, value } => {
                own.push((*key, *value));
                continue;
            }
            Op::Read { key, list } => (*key, list),
        };
        let order = finals.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        if !order.starts_with(list) {
            report
                .problems
                .push(format!("read of key {key} is no prefix of its final list"));
            continue;
        }
        for (_, value) in own.iter().filter(|(own_key, _)| *own_key == key) {
            if !list.contains(value) {
                report.problems.push(format!(
                    "transaction {txn} did not read its own append {value}"
                ));
            }
        }
        // What it read from others: the list without its own appends at the end.
        let mut seen = list.len();
        while seen > 0 && writer.get(&list[seen - 1]) == Some(&txn) {
            seen -= 1;
        }
        if seen > 0 {
            let last = list[seen - 1];
            if let Some(&from) = writer.get(&last) {
                edges.push((from, txn, Edge::Wr));
                let later_own = committed[from].iter().any(|op| {
                    matches!(op, Op::Append { key: k, value } if *k == key
                        && order.iter().position(|v| v == value) > Some(seen - 1))
                });
                if later_own && from != txn {
                    report
                        .problems
                        .push(format!("G1b: transaction {txn} read intermediate {last}"));
                }
            }
        }
        if let Some(next) = order.get(seen) {
            if let Some(&to) = writer.get(next) {
                if to != txn {
                    edges.push((txn, to, Edge::Rw));
                }
            }
        }
    }
}

/// The strongly connected components of more than one node (Tarjan's, without recursion).
fn cycles(graph: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = graph.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut found = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (node, ref mut child)) = work.last_mut() {
            if *child == 0 && index[node] == usize::MAX {
                index[node] = next;
                low[node] = next;
                next += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&to) = graph[node].get(*child) {
                *child += 1;
                if index[to] == usize::MAX {
                    work.push((to, 0));
                } else if on_stack[to] {
                    low[node] = low[node].min(index[to]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                loop {
                    let member = stack.pop().expect("the node is on the stack");
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    found.push(component);
                }
            }
        }
    }
    found
}

/// One cycle through the component's first node, within the component (breadth first).
fn cycle_in(graph: &[Vec<usize>], component: &[usize]) -> Vec<usize> {
    let start = component[0];
    let inside: std::collections::HashSet<usize> = component.iter().copied().collect();
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &to in &graph[node] {
            if to == start {
                let mut path = vec![node];
                while let Some(&back) = parent.get(path.last().expect("not empty")) {
                    path.push(back);
                }
                path.reverse();
                return path;
            }
            if inside.contains(&to) && !parent.contains_key(&to) && to != start {
                parent.insert(to, node);
                queue.push_back(to);
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(key: u64, list: &[u64]) -> Op {
        Op::Read {
            key,
            list: list.to_vec(),
        }
    }

    fn append(key: u64, value: u64) -> Op {
        Op::Append { key, value }
    }

    #[test]
    fn a_serial_history_has_no_cycle() {
        let committed = vec![
            vec![append(1, 10), append(2, 20)],
            vec![read(1, &[10]), append(1, 11)],
            vec![read(1, &[10, 11]), read(2, &[20])],
        ];
        let finals = HashMap::from([(1, vec![10, 11]), (2, vec![20])]);
        let report = check(&committed, &finals, &[]);
        assert_eq!((report.g0, report.g1c, report.all), (0, 0, 0));
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }

    #[test]
    fn write_skew_is_a_g2_cycle_and_nothing_less() {
        // Each read the other's key empty and appended to its own.
        let committed = vec![
            vec![read(2, &[]), append(1, 10)],
            vec![read(1, &[]), append(2, 20)],
        ];
        let finals = HashMap::from([(1, vec![10]), (2, vec![20])]);
        let report = check(&committed, &finals, &[]);
        assert_eq!((report.g0, report.g1c, report.all), (0, 0, 1));
        assert_eq!(report.example.len(), 2);
    }

    #[test]
    fn interleaved_appends_are_a_g0_cycle() {
        let committed = vec![
            vec![append(1, 10), append(2, 21)],
            vec![append(1, 11), append(2, 20)],
        ];
        let finals = HashMap::from([(1, vec![10, 11]), (2, vec![20, 21])]);
        let report = check(&committed, &finals, &[]);
        assert_eq!(report.g0, 1);
    }

    #[test]
    fn circular_reads_are_a_g1c_cycle() {
        let committed = vec![
            vec![append(1, 10), read(2, &[20])],
            vec![append(2, 20), read(1, &[10])],
        ];
        let finals = HashMap::from([(1, vec![10]), (2, vec![20])]);
        let report = check(&committed, &finals, &[]);
        assert_eq!((report.g0, report.g1c), (0, 1));
    }

    #[test]
    fn aborted_and_lost_appends_are_reported() {
        let committed = vec![vec![append(1, 10)], vec![append(1, 11)]];
        let finals = HashMap::from([(1, vec![10, 99])]);
        let report = check(&committed, &finals, &[99]);
        let text = report.problems.join("; ");
        assert!(text.contains("G1a"), "{text}");
        assert!(text.contains("lost"), "{text}");
    }
}
