//! The runs in memory, run N at index N-1, and the newtype indexes of a run in them
//! (`RunIx`) and of a task in its run (`TaskIx`).

use super::state::RunState;
use crate::domain::RunId;
use crate::error::{FactoryError, Result};

/// Where a run is in `Runs`: run N is at N-1, for ever (runs are never removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RunIx(usize);

impl RunIx {
    /// The index of run `id` (which may not exist).
    pub fn of(id: RunId) -> Option<RunIx> {
        (id.0 as usize).checked_sub(1).map(RunIx)
    }

    /// The run as the fair queue names it.
    pub fn queued(self) -> u32 {
        self.0 as u32
    }

    pub fn from_queued(run: u32) -> RunIx {
        RunIx(run as usize)
    }
}

/// Where a task is in its run's `RunState::tasks`: tasks are only added, until the run
/// ends and lets go of them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TaskIx(pub(super) usize);

impl<T> std::ops::Index<TaskIx> for Vec<T> {
    type Output = T;
    fn index(&self, t: TaskIx) -> &T {
        &self[t.0]
    }
}

impl<T> std::ops::IndexMut<TaskIx> for Vec<T> {
    fn index_mut(&mut self, t: TaskIx) -> &mut T {
        &mut self[t.0]
    }
}

/// Every run in memory, run N at index N-1.
#[derive(Default)]
pub(super) struct Runs {
    list: Vec<RunState>,
}

impl Runs {
    pub fn with_capacity(n: usize) -> Self {
        Runs { list: Vec::with_capacity(n) }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The id the next run gets.
    pub fn next_id(&self) -> RunId {
        RunId(self.list.len() as u32 + 1)
    }

    /// Adds the next run (its id must be `next_id`); returns its index.
    pub fn push(&mut self, rs: RunState) -> RunIx {
        debug_assert_eq!(rs.run.id, self.next_id(), "runs are numbered 1 to N");
        self.list.push(rs);
        RunIx(self.list.len() - 1)
    }

    pub fn get(&self, i: RunIx) -> Option<&RunState> {
        self.list.get(i.0)
    }

    /// The run with id `id`, if there is one.
    pub fn ix(&self, id: RunId) -> Option<RunIx> {
        RunIx::of(id).filter(|i| i.0 < self.list.len())
    }

    /// The run `id`, named in a command.
    pub fn named(&self, id: RunId) -> Result<RunIx> {
        self.ix(id).ok_or_else(|| FactoryError::usage(format!("there is no run {id}; `factory status` lists the runs")))
    }

    /// Every run's index, in order.
    pub fn ixs(&self) -> impl Iterator<Item = RunIx> + use<> {
        (0..self.list.len()).map(RunIx)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, RunState> {
        self.list.iter()
    }
}

impl std::ops::Index<RunIx> for Runs {
    type Output = RunState;
    fn index(&self, i: RunIx) -> &RunState {
        &self.list[i.0]
    }
}

impl std::ops::IndexMut<RunIx> for Runs {
    fn index_mut(&mut self, i: RunIx) -> &mut RunState {
        &mut self.list[i.0]
    }
}

impl<'a> IntoIterator for &'a Runs {
    type Item = &'a RunState;
    type IntoIter = std::slice::Iter<'a, RunState>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}
