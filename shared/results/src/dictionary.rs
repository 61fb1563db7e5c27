//! What an analyst needs besides the figures to use the bundle with nothing
//! else: how the indices are made, the routing, the languages, and what every
//! column of every file means. Each table is made from the same definitions the
//! run counts with, so it cannot drift from them.

use std::collections::BTreeSet;

use survey_domain::aggregate::Layout;
use survey_domain::catalogue;
use survey_domain::language::LanguageCode;
use survey_domain::Questionnaire;

use crate::bundle::{columns, number, text, Cell, Sheet, Table};
use crate::microdata::language_group;

/// How multi-choice answers are joined in one cell of `respondents.csv`.
pub const MULTI_SEPARATOR: &str = "|";

/// The band value of those who did not answer a background question.
pub const NOT_ANSWERED: &str = "not_answered";

/// The words the codebook and the README use that depend on the survey: its
/// title, its units, its scales, its groups and indices, from the definition.
pub(crate) struct Words {
    pub title: String,
    /// What a unit is: «kommune/bydel», or «enhet» for a survey's own catalogue.
    pub unit_nb: &'static str,
    pub unit_number: (&'static str, &'static str),
    /// The values of scale questions: `1-5`, or `1-N` when scales differ.
    pub scale: String,
    /// How an index's mean becomes 0-100: «(snitt - 1) / 4 * 100».
    pub rescale: (String, String),
    /// The published groups, «intro (introduksjonsprogrammet) eller training (opplæring i norsk)».
    pub groups: (String, String),
    /// «index_usefulness (nytte), index_motivation (motivasjon)».
    pub indices: String,
    /// `index_usefulness, index_motivation`.
    pub index_columns: String,
    pub screening_example: Option<String>,
    pub has_screening: bool,
}

impl Words {
    pub fn of(q: &Questionnaire) -> Self {
        let survey = catalogue::find(q.survey()).unwrap_or_else(catalogue::default_survey);
        let copy = &survey.definition.copy;
        let plan = q.plan();
        let own_units = survey.definition.own_units().is_some();
        let single = |points: BTreeSet<usize>| if points.len() == 1 { points.first().copied() } else { None };
        let scale_points = single(q.questions.iter().map(|x| x.scale_points()).filter(|&p| p > 0).collect());
        let index_points = single(plan.indices.iter().map(|i| i.points).collect());
        let mut groups: Vec<(&str, &str, &str)> = plan
            .groups
            .iter()
            .map(|g| {
                let label = copy.groups.get(&g.id).map(|l| &l.short);
                (g.id.as_str(), label.map_or("", |l| l.nb.as_str()), label.map_or("", |l| l.en.as_str()))
            })
            .collect();
        groups.sort();
        let list = |items: Vec<String>, and: &str| match items.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} {and} {last}", rest.join(", ")),
            _ => items.join(""),
        };
        let all = |first: &str, named: Vec<String>, and: &str| {
            if named.is_empty() {
                first.to_owned()
            } else {
                format!("{first}, {}", list(named, and))
            }
        };
        Self {
            title: copy.title.nb.clone(),
            unit_nb: if own_units { "enhet" } else { "kommune/bydel" },
            unit_number: if own_units {
                ("enhetens nummer", "unit number")
            } else {
                ("kommune- eller bydelsnummer", "municipality or district number")
            },
            scale: scale_points.map_or("1-N".to_owned(), |p| format!("1-{p}")),
            rescale: match index_points {
                Some(p) => (format!("(snitt - 1) / {} * 100", p - 1), format!("(mean - 1) / {} * 100", p - 1)),
                None => (
                    "(snitt - 1) / (N - 1) * 100, der N er skalaens høyeste verdi".to_owned(),
                    "(mean - 1) / (N - 1) * 100, N being the scale's highest value".to_owned(),
                ),
            },
            groups: (
                all("all (alle)", groups.iter().map(|(id, nb, _)| format!("{id} ({nb})")).collect(), "eller"),
                all("all", groups.iter().map(|(id, _, en)| format!("{id} ({en})")).collect(), "or"),
            ),
            indices: plan
                .indices
                .iter()
                .map(|i| format!("index_{} ({})", i.id, copy.indices.get(&i.id).map_or("", |l| l.short.nb.as_str())))
                .collect::<Vec<_>>()
                .join(", "),
            index_columns: plan.indices.iter().map(|i| format!("index_{}", i.id)).collect::<Vec<_>>().join(", "),
            screening_example: copy.screening_example.clone(),
            has_screening: q.questions.iter().any(|x| x.is_screening()),
        }
    }
}

/// One row per index item: which scale questions make each index and the
/// quorum a respondent must meet to count.
pub fn indexes_table(q: &Questionnaire, layout: &Layout) -> Table {
    let mut rows = Vec::new();
    for index in &layout.indices {
        for &item in &index.items {
            rows.push(vec![
                text(format!("index_{}", index.id)),
                text(q.questions[item].id.clone()),
                number(index.items.len() as f64),
                number(index.quorum as f64),
            ]);
        }
    }
    Table { name: "indexes", header: columns(&["index", "question", "items", "quorum"]), rows }
}

/// One row per question shown only after a given earlier answer.
pub fn routing_table(q: &Questionnaire) -> Table {
    let rows = q
        .reported_questions()
        .filter_map(|(_, question)| {
            let rule = question.show_if.as_ref()?;
            Some(vec![text(question.id.clone()), text(rule.question.clone()), text(rule.any_of.join(MULTI_SEPARATOR))])
        })
        .collect();
    Table { name: "routing", header: columns(&["question", "shown_if_question", "shown_if_any_of"]), rows }
}

/// Every language a participant can answer in, with the group `respondents.csv` reports.
pub fn languages_table() -> Table {
    let rows = LanguageCode::all()
        .map(|code| {
            let language = code.language();
            vec![
                text(language.code.clone()),
                text(language.norwegian_name.clone()),
                text(language.native_name.clone()),
                text(format!("{:?}", language.dir).to_lowercase()),
                language_group(&language.code).map_or(Cell::Empty, |g| text(g.id.clone())),
            ]
        })
        .collect();
    Table { name: "languages", header: columns(&["language", "name_nb", "native_name", "dir", "language_group"]), rows }
}

/// The meaning of a column, in bokmål then English; `None` for a column this
/// dictionary does not know (a test keeps that from happening).
fn meaning(file: &str, column: &str, q: &Questionnaire, w: &Words) -> Option<(String, String)> {
    let fixed = |nb: &str, en: &str| Some((nb.to_owned(), en.to_owned()));
    let scale = &w.scale;
    match (file, column) {
        ("figures", "level") => Some((format!("nivå: unit ({}), county (fylke) eller nation (landet)", w.unit_nb), "level: unit, county or nation".to_owned())),
        ("figures", "code") | ("units", "unit") => Some((format!("{}, fylkesnummer; tomt for landet", w.unit_number.0), format!("{}, county number; empty for the nation", w.unit_number.1))),
        ("figures", "name") | ("units", "name") => fixed("navnet på enheten, fylket eller landet", "name of the unit, county or nation"),
        ("figures", "group") => Some(w.groups.clone()),
        ("figures", "band_question") => fixed("bakgrunnsspørsmålet tallene er brutt ned på; tomt når de ikke er brutt ned", "background question the figures are broken down by; empty when not broken down"),
        ("figures", "band_value") => fixed("svaret på bakgrunnsspørsmålet; not_answered for dem som ikke svarte på det", "answer to the background question; not_answered for those who did not answer it"),
        ("figures", "question") | ("codebook", "question") | ("indexes", "question") | ("routing", "question") => fixed("spørsmålets id, eller index_{indeks} for en indeks", "question id, or index_{index} for an index"),
        ("figures", "value") | ("codebook", "value") => fixed("svarverdien (tekster i codebook.csv); tomt for en indeks", "answer value (labels in codebook.csv); empty for an index"),
        ("figures", "count") => fixed("antall som valgte svaret; ved flervalg kan én person telle på flere svar", "how many chose the value; in multi-choice one person may count for several values"),
        ("figures", "n") => fixed("antall som svarte på spørsmålet (for en indeks: antall som teller med i den)", "how many answered the question (for an index: how many count towards it)"),
        ("figures", "mean") => Some((format!("gjennomsnitt {scale} for skalaspørsmål uten «Vet ikke»; for en indeks verdien 0-100; tomt ellers"), format!("mean {scale} of scale questions without dont_know; for an index its value 0-100; empty otherwise"))),
        ("figures", "withheld") => fixed("hvorfor tallet er holdt tilbake: too_few_answers, protects_others, not_released_yet, not_published; tomt når tallet er publisert", "why the figure is withheld; empty when published"),
        ("units", "county_number") | ("respondents", "county_number") => fixed("fylkesnummer", "county number"),
        ("units", "county") => fixed("fylkets navn", "county name"),
        ("units", "respondents") => fixed("antall svar fra enheten", "answers from the unit"),
        ("units", "expected_participants") => fixed("antall deltakere kontaktpersonen oppga ved påmelding; tomt når ikke oppgitt", "participants the contact expected at registration; empty when not given"),
        ("units", "response_rate_percent") => fixed("svar i prosent av forventede deltakere, én desimal", "answers as a percentage of expected participants, one decimal"),
        ("codebook", "type") => Some((format!("single (ett svar), multi (flere svar), scale (skala {scale} med «Vet ikke»), recoded (omkodet kolonne i respondents.csv)"), format!("single, multi, scale ({scale} with dont_know), recoded (a recoded column of respondents.csv)"))),
        ("codebook", "section") => fixed("delen av skjemaet spørsmålet står i", "the questionnaire section"),
        ("codebook", "text_nb") | ("codebook", "text_en") => fixed("spørsmålsteksten på bokmål / engelsk", "question text in bokmål / English"),
        ("codebook", "label_nb") | ("codebook", "label_en") => fixed("svarteksten på bokmål / engelsk", "value label in bokmål / English"),
        ("indexes", "index") => Some((format!("indeksen: {}", w.indices), "the index".to_owned())),
        ("indexes", "items") => fixed("antall skalaspørsmål i indeksen", "number of scale items in the index"),
        ("indexes", "quorum") => Some((format!("minste antall av dem en person må ha svart {scale} på for å telle med"), format!("least number of items a respondent must answer {scale} to count"))),
        ("routing", "shown_if_question") => fixed("spørsmålet som avgjør om dette spørsmålet vises", "the question that decides whether this one is shown"),
        ("routing", "shown_if_any_of") => fixed("svarene (skilt med |) som gjør at spørsmålet vises", "the answers (separated by |) that show the question"),
        ("languages", "language") => fixed("språkkoden i svarene", "language code in the answers"),
        ("languages", "name_nb") => fixed("språkets navn på bokmål", "language name in bokmål"),
        ("languages", "native_name") => fixed("språkets navn på språket selv", "the language's own name for itself"),
        ("languages", "dir") => fixed("skriftretning: ltr eller rtl", "text direction"),
        ("languages", "language_group") | ("respondents", "language_group") => fixed("språkgruppen respondents.csv oppgir i stedet for språket (navn i codebook.csv)", "language group respondents.csv gives instead of the language"),
        ("columns", "file") => fixed("filen i pakken, uten .csv", "the bundle file, without .csv"),
        ("columns", "column") => fixed("kolonnen", "the column"),
        ("columns", "meaning_nb") | ("columns", "meaning_en") => fixed("hva kolonnen inneholder, på bokmål / engelsk", "what the column holds, in bokmål / English"),
        ("respondents", id) => q.question(id).map(|question| {
            let how = if question.kind == survey_domain::questionnaire::QuestionType::Multi {
                format!("; flere svar skilt med {MULTI_SEPARATOR}")
            } else {
                String::new()
            };
            (
                format!("svaret på {id} (verdier i codebook.csv; tomt: ikke vist eller ikke svart; *: holdt tilbake for anonymitet){how}"),
                format!("the answer to {id} (values in codebook.csv; empty: not shown or not answered; *: withheld for anonymity)"),
            )
        }),
        _ => None,
    }
}

/// The column dictionary: every column of every file in the bundle, itself
/// included. `respondents` is the header of `respondents.csv` where the bundle has it.
pub fn columns_table(q: &Questionnaire, tables: &[&dyn Sheet], respondents: Option<&[&str]>) -> Table {
    let header = vec!["file", "column", "meaning_nb", "meaning_en"];
    let mut files: Vec<(&str, Vec<&str>)> =
        tables.iter().map(|t| (t.name(), t.header().iter().map(|c| c.as_ref()).collect())).collect();
    files.push(("columns", header.clone()));
    if let Some(columns) = respondents {
        files.push(("respondents", columns.to_vec()));
    }
    let words = Words::of(q);
    let rows = files
        .iter()
        .flat_map(|(file, columns)| {
            let words = &words;
            columns.iter().map(move |column| {
                let (nb, en) = meaning(file, column, q, words).unwrap_or_default();
                vec![text(*file), text(*column), text(nb), text(en)]
            })
        })
        .collect();
    Table { name: "columns", header: columns(&header), rows }
}
