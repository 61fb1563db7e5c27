//! Protection on tables shaped like the product's: units (and Oslo's
//! districts) in counties in the nation, groups of exclusive categories and
//! background bands, built by a fixture of the tests' own (`fixture`). The
//! library knows no product; `survey-results` builds the product's tables from
//! the survey's plan, and its own tests run them through the same protection.

mod fixture;
mod hierarchy;
mod properties;
mod realistic;
