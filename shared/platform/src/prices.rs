//! What model calls cost: token counts, the price table (`LLM_PRICES` over the defaults) and
//! micro-dollar arithmetic. Plain data, so the config, telemetry and the `llm` crate above can all
//! use it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Micro-dollars to dollars (for responses).
pub fn usd(micros: u64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// Dollars to micro-dollars.
pub fn micros(usd: f64) -> u64 {
    (usd * 1_000_000.0).round().max(0.0) as u64
}

/// Tokens of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

/// Prices per model id. Unknown models are priced at `fallback` — deliberately high, so a
/// budget never fails open because a price is missing.
#[derive(Debug, Clone)]
pub struct Prices {
    models: HashMap<String, Price>,
    fallback: Price,
}

impl Default for Prices {
    fn default() -> Self {
        let known = [
            ("anthropic.claude-3-5-sonnet-20241022-v2:0", 3.0, 15.0),
            ("anthropic.claude-3-5-haiku-20241022-v1:0", 0.8, 4.0),
            ("anthropic.claude-3-haiku-20240307-v1:0", 0.25, 1.25),
            ("us.anthropic.claude-sonnet-4-20250514-v1:0", 3.0, 15.0),
            ("amazon.nova-pro-v1:0", 0.8, 3.2),
            ("amazon.nova-lite-v1:0", 0.06, 0.24),
            ("gpt-4o", 2.5, 10.0),
            ("gpt-4o-mini", 0.15, 0.6),
            ("gemini-2.0-flash", 0.1, 0.4),
        ];
        Self {
            models: known
                .into_iter()
                .map(|(m, i, o)| {
                    (
                        m.to_owned(),
                        Price {
                            input: i,
                            output: o,
                        },
                    )
                })
                .collect(),
            fallback: Price {
                input: 15.0,
                output: 75.0,
            },
        }
    }
}

impl Prices {
    /// The defaults, overridden by `LLM_PRICES` (`{"model": {"input": 3, "output": 15}}`).
    pub fn parse(overrides: Option<&str>) -> Result<Self, serde_json::Error> {
        let mut prices = Self::default();
        if let Some(raw) = overrides.filter(|r| !r.trim().is_empty()) {
            let extra: HashMap<String, Price> = serde_json::from_str(raw)?;
            if extra.values().any(|p| {
                !(p.input >= 0.0 && p.output >= 0.0 && p.input.is_finite() && p.output.is_finite())
            }) {
                return Err(serde::de::Error::custom(
                    "prices must be finite and not negative",
                ));
            }
            prices.models.extend(extra);
        }
        Ok(prices)
    }

    pub fn of(&self, model: &str) -> Price {
        self.models.get(model).copied().unwrap_or(self.fallback)
    }

    /// Cost of a call in micro-dollars (integers add up exactly in DynamoDB).
    pub fn cost_micros(&self, model: &str, usage: Usage) -> u64 {
        let p = self.of(model);
        // $ per 1M tokens × tokens = micro-dollars.
        (p.input * usage.input_tokens as f64 + p.output * usage.output_tokens as f64).ceil() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_micro_dollars_and_unknown_models_are_priced_high() {
        let prices = Prices::parse(Some(r#"{"scripted": {"input": 1.0, "output": 2.0}}"#)).unwrap();
        assert_eq!(
            prices.cost_micros(
                "scripted",
                Usage {
                    input_tokens: 1000,
                    output_tokens: 500
                }
            ),
            2000
        );
        assert_eq!(
            prices.cost_micros(
                "gpt-4o",
                Usage {
                    input_tokens: 1_000_000,
                    output_tokens: 0
                }
            ),
            2_500_000
        );
        assert_eq!(
            prices.of("never-heard-of-it"),
            Price {
                input: 15.0,
                output: 75.0
            }
        );
        assert!(Prices::parse(Some("not json")).is_err());
        assert!(
            Prices::parse(Some(r#"{"m": {"input": -1, "output": 1}}"#)).is_err(),
            "a negative price would make calls free"
        );
    }
}
