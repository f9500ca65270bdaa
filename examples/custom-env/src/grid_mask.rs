//! `GridMask-v0`: a 5 × 5 maze whose walls make some moves invalid. The environment says which
//! moves are valid in each cell ([`Env::action_mask`]); A2C, PPO, PPO2, SVPG and DQL never
//! choose another, and a move into a wall or off the grid is an error, not a wasted step.

use cinder::core::{Action, BoxSpace, Discrete, Env, EnvError, Space, StepOutcome};
use serde_json::{Value, json};

/// The maze, top row first: `#` walls, `S` the start, `G` the goal.
const MAZE: [&str; 5] = ["S..#.", "##.#.", ".....", ".###.", "....G"];
/// Grid side.
const SIDE: usize = 5;
/// Moves by action: up, right, down, left.
const MOVES: [(isize, isize); 4] = [(-1, 0), (0, 1), (1, 0), (0, -1)];

/// Observation: the agent's cell one-hot (25 values); actions: up, right, down, left; reward
/// −1 per move; terminated at the goal. Deterministic: every episode starts at `S`.
#[derive(Debug, Clone)]
pub struct GridMask {
    cell: Option<(usize, usize)>,
    observation_space: Space,
    action_space: Space,
}

impl GridMask {
    /// The id it is registered under.
    pub const ID: &'static str = "GridMask-v0";

    /// A new environment; call `reset` before stepping.
    pub fn new() -> Self {
        let cells = SIDE * SIDE;
        Self {
            cell: None,
            observation_space: Space::Box(
                BoxSpace::uniform(0.0, 1.0, vec![cells]).expect("static"),
            ),
            action_space: Space::Discrete(Discrete::new(MOVES.len()).expect("static")),
        }
    }

    fn find(symbol: u8) -> (usize, usize) {
        let index = MAZE
            .concat()
            .bytes()
            .position(|b| b == symbol)
            .expect("in the maze");
        (index / SIDE, index % SIDE)
    }

    /// Where `action` leads from `cell`, if it is not a wall or off the grid.
    fn target((row, col): (usize, usize), action: usize) -> Option<(usize, usize)> {
        let (dr, dc) = MOVES[action];
        let (row, col) = (row.checked_add_signed(dr)?, col.checked_add_signed(dc)?);
        (row < SIDE && col < SIDE && MAZE[row].as_bytes()[col] != b'#').then_some((row, col))
    }

    fn write_observation(cell: (usize, usize), observation: &mut [f32]) {
        observation.fill(0.0);
        observation[cell.0 * SIDE + cell.1] = 1.0;
    }
}

impl Default for GridMask {
    fn default() -> Self {
        Self::new()
    }
}

impl Env for GridMask {
    fn id(&self) -> &str {
        Self::ID
    }

    fn observation_space(&self) -> &Space {
        &self.observation_space
    }

    fn action_space(&self) -> &Space {
        &self.action_space
    }

    fn reset_into(&mut self, _seed: Option<u64>, observation: &mut [f32]) {
        let start = Self::find(b'S');
        self.cell = Some(start);
        Self::write_observation(start, observation);
    }

    fn step_into(
        &mut self,
        action: Action<'_>,
        observation: &mut [f32],
    ) -> Result<StepOutcome, EnvError> {
        let action = self.action_space.discrete_index(Self::ID, action)?;
        let cell = self.cell.ok_or_else(|| EnvError::ResetNeeded {
            env: Self::ID.into(),
        })?;
        let next = Self::target(cell, action).ok_or_else(|| EnvError::InvalidAction {
            env: Self::ID.into(),
            action: format!("{action} in cell {cell:?}"),
            space: "the moves that stay on the grid and off the walls".into(),
        })?;
        self.cell = Some(next);
        Self::write_observation(next, observation);
        Ok(StepOutcome {
            reward: -1.0,
            terminated: next == Self::find(b'G'),
            truncated: false,
        })
    }

    fn action_mask(&self, mask: &mut [bool]) {
        for (action, valid) in mask.iter_mut().enumerate() {
            *valid = self
                .cell
                .is_none_or(|cell| Self::target(cell, action).is_some());
        }
    }

    fn snapshot(&self) -> Result<Value, EnvError> {
        Ok(json!({ "cell": self.cell }))
    }

    fn restore(&mut self, snapshot: &Value) -> Result<(), EnvError> {
        let bad = |reason: String| EnvError::BadSnapshot {
            env: Self::ID.into(),
            reason,
        };
        let cell: Option<(usize, usize)> =
            serde_json::from_value(snapshot["cell"].clone()).map_err(|e| bad(e.to_string()))?;
        if let Some((row, col)) = cell
            && (row >= SIDE || col >= SIDE || MAZE[row].as_bytes()[col] == b'#')
        {
            return Err(bad(format!("cell {:?} is not a free cell", (row, col))));
        }
        self.cell = cell;
        Ok(())
    }
}
