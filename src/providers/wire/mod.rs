//! The wire formats: one `Provider` per way of asking a model (OpenAI's chat completions
//! with Perplexity's additions, Anthropic's messages, a local command, the simulation).

pub mod anthropic;
pub mod cli;
pub mod openai;
pub mod perplexity;
pub mod sim;
pub mod sim_code;
pub mod sim_text;
#[cfg(test)]
mod wire_props;
