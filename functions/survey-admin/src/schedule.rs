//! `reminders schedule`: the reminders of a wave, on a schedule IMDi sets (for
//! example 7 and 14 days after the opening and 3 days before the close), as
//! one-time EventBridge Scheduler schedules at 09:00 in Norway. Each puts a
//! [`ScheduledReminders`] message on the mail queue, where the mail worker
//! queues the reminders exactly as `reminders send` does: in a survey of roles
//! for every recipient due one (never one who submitted), in a survey of
//! participants for every contact of a unit still open, with its live count
//! (`--before-close-days 7`: a week before the close). Setting
//! the schedule again replaces it; `--clear` removes it, `--show` lists it.
//! (moto stores schedules but does not fire them.)

use anyhow::Context;
use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use survey_aws::Clients;
use survey_domain::forms::{reminder_times, ScheduledReminders};
use survey_domain::Wave;
use time::OffsetDateTime;

/// Where the schedules live and what they may do: the group, and the role the
/// Scheduler takes to write to the mail queue (both from the stack's outputs).
pub struct Settings {
    pub group: String,
    pub role_arn: String,
}

impl Settings {
    /// `REMINDER_SCHEDULE_GROUP` and `SCHEDULER_ROLE_ARN`; the local stack's defaults otherwise.
    pub fn from_env() -> Self {
        let env = |name: &str, local: &str| std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or(local.into());
        Self {
            group: env("REMINDER_SCHEDULE_GROUP", "default"),
            role_arn: env("SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/survey-local-scheduler"),
        }
    }
}

pub struct Schedules<'a> {
    pub client: aws_sdk_scheduler::Client,
    pub clients: &'a Clients,
    pub queue_url: &'a str,
    pub settings: Settings,
}

fn prefix(wave: &Wave) -> String {
    format!("reminders-{}-", wave.survey_id)
}

/// `at(2027-02-08T09:00:00)`, in Norwegian time (the schedule's time zone is Europe/Oslo).
fn at_expression(at: OffsetDateTime) -> String {
    let local = at.to_offset(survey_domain::oslo_time::offset_at(at));
    format!(
        "at({:04}-{:02}-{:02}T{:02}:{:02}:00)",
        local.year(),
        local.month() as u8,
        local.day(),
        local.hour(),
        local.minute()
    )
}

impl Schedules<'_> {
    /// The wave's schedules, by name.
    async fn names(&self, wave: &Wave) -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        let mut pages = self
            .client
            .list_schedules()
            .group_name(&self.settings.group)
            .name_prefix(prefix(wave))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.context("kan ikke liste påminnelsene i EventBridge Scheduler")?;
            names.extend(page.schedules.into_iter().filter_map(|s| s.name));
        }
        names.sort();
        Ok(names)
    }

    pub async fn show(&self, wave: &Wave) -> anyhow::Result<String> {
        let mut lines = Vec::new();
        for name in self.names(wave).await? {
            let schedule = self
                .client
                .get_schedule()
                .group_name(&self.settings.group)
                .name(&name)
                .send()
                .await
                .with_context(|| format!("kan ikke lese {name}"))?;
            let expression = schedule.schedule_expression.unwrap_or_default();
            let at = expression.trim_start_matches("at(").trim_end_matches(')').replace('T', " ");
            lines.push(
                serde_json::json!({ "name": name, "at": at, "time_zone": schedule.schedule_expression_timezone })
                    .to_string(),
            );
        }
        Ok(lines.join("\n"))
    }

    pub async fn clear(&self, wave: &Wave) -> anyhow::Result<usize> {
        let names = self.names(wave).await?;
        for name in &names {
            self.client
                .delete_schedule()
                .group_name(&self.settings.group)
                .name(name)
                .send()
                .await
                .with_context(|| format!("kan ikke slette {name}"))?;
        }
        Ok(names.len())
    }

    /// Replaces the wave's schedule; prints each reminder's time.
    pub async fn set(
        &self,
        wave: &Wave,
        after_days: &[u32],
        before_close_days: &[u32],
        now: OffsetDateTime,
    ) -> anyhow::Result<String> {
        let times = reminder_times(wave, after_days, before_close_days, now).map_err(anyhow::Error::msg)?;
        let queue_arn = self
            .clients
            .sqs
            .get_queue_attributes()
            .queue_url(self.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .context("kan ikke finne e-postkøen")?
            .attributes
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn).cloned())
            .context("e-postkøen har ingen ARN")?;
        let input = serde_json::to_string(&ScheduledReminders::new(&wave.survey_id)).expect("serialises");
        self.clear(wave).await?;
        let mut lines = Vec::new();
        for at in times {
            let expression = at_expression(at);
            let local = at.to_offset(survey_domain::oslo_time::offset_at(at));
            let name = format!("{}{:04}{:02}{:02}", prefix(wave), local.year(), local.month() as u8, local.day());
            let target = Target::builder()
                .arn(&queue_arn)
                .role_arn(&self.settings.role_arn)
                .input(&input)
                .build()
                .expect("arn, role and input are set");
            let window = FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build().expect("mode is set");
            self.client
                .create_schedule()
                .group_name(&self.settings.group)
                .name(&name)
                .description(format!("Påminnelser i {}", wave.survey_id))
                .schedule_expression(&expression)
                .schedule_expression_timezone("Europe/Oslo")
                .flexible_time_window(window)
                .action_after_completion(ActionAfterCompletion::Delete)
                .target(target)
                .send()
                .await
                .with_context(|| format!("kan ikke lage påminnelsen {name}"))?;
            lines.push(format!(
                "påminnelse {:04}-{:02}-{:02} kl. 09.00",
                local.year(),
                local.month() as u8,
                local.day()
            ));
        }
        Ok(lines.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_schedule_is_at_nine_in_norwegian_time_winter_and_summer() {
        assert_eq!(at_expression(datetime!(2027-02-08 08:00 UTC)), "at(2027-02-08T09:00:00)");
        assert_eq!(at_expression(datetime!(2027-04-01 07:00 UTC)), "at(2027-04-01T09:00:00)");
    }
}
