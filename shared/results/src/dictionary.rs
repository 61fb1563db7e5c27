//! What an analyst needs besides the figures to use the bundle with nothing
//! else: how the indices are made, the routing, the languages, and what every
//! column of every file means. Each table is made from the same definitions the
//! run counts with, so it cannot drift from them.

use survey_domain::aggregate::Layout;
use survey_domain::language::LanguageCode;
use survey_domain::Questionnaire;

use crate::bundle::{number, text, Cell, Table};
use crate::microdata::language_group;

/// How multi-choice answers are joined in one cell of `respondents.csv`.
pub const MULTI_SEPARATOR: &str = "|";

/// The band value of those who did not answer a background question.
pub const NOT_ANSWERED: &str = "not_answered";

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
    Table { name: "indexes", header: vec!["index", "question", "items", "quorum"], rows }
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
    Table { name: "routing", header: vec!["question", "shown_if_question", "shown_if_any_of"], rows }
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
    Table { name: "languages", header: vec!["language", "name_nb", "native_name", "dir", "language_group"], rows }
}

/// The meaning of a column, in bokmål then English; `None` for a column this
/// dictionary does not know (a test keeps that from happening).
fn meaning(file: &str, column: &str, q: &Questionnaire) -> Option<(String, String)> {
    let fixed = |nb: &str, en: &str| Some((nb.to_owned(), en.to_owned()));
    match (file, column) {
        ("figures", "level") => fixed("nivå: unit (kommune/bydel), county (fylke) eller nation (landet)", "level: unit, county or nation"),
        ("figures", "code") | ("units", "unit") => fixed("kommune- eller bydelsnummer, fylkesnummer; tomt for landet", "municipality or district number, county number; empty for the nation"),
        ("figures", "name") | ("units", "name") => fixed("navnet på enheten, fylket eller landet", "name of the unit, county or nation"),
        ("figures", "group") => fixed("all (alle), intro (introduksjonsprogrammet) eller training (opplæring i norsk)", "all, intro (introduction programme) or training (Norwegian training)"),
        ("figures", "band_question") => fixed("bakgrunnsspørsmålet tallene er brutt ned på; tomt når de ikke er brutt ned", "background question the figures are broken down by; empty when not broken down"),
        ("figures", "band_value") => fixed("svaret på bakgrunnsspørsmålet; not_answered for dem som ikke svarte på det", "answer to the background question; not_answered for those who did not answer it"),
        ("figures", "question") | ("codebook", "question") | ("indexes", "question") | ("routing", "question") => fixed("spørsmålets id, eller index_{indeks} for en indeks", "question id, or index_{index} for an index"),
        ("figures", "value") | ("codebook", "value") => fixed("svarverdien (tekster i codebook.csv); tomt for en indeks", "answer value (labels in codebook.csv); empty for an index"),
        ("figures", "count") => fixed("antall som valgte svaret; ved flervalg kan én person telle på flere svar", "how many chose the value; in multi-choice one person may count for several values"),
        ("figures", "n") => fixed("antall som svarte på spørsmålet (for en indeks: antall som teller med i den)", "how many answered the question (for an index: how many count towards it)"),
        ("figures", "mean") => fixed("gjennomsnitt 1-5 for skalaspørsmål uten «Vet ikke»; for en indeks verdien 0-100; tomt ellers", "mean 1-5 of scale questions without dont_know; for an index its value 0-100; empty otherwise"),
        ("figures", "withheld") => fixed("hvorfor tallet er holdt tilbake: too_few_answers, protects_others, not_released_yet; tomt når tallet er publisert", "why the figure is withheld; empty when published"),
        ("units", "county_number") | ("respondents", "county_number") => fixed("fylkesnummer", "county number"),
        ("units", "county") => fixed("fylkets navn", "county name"),
        ("units", "respondents") => fixed("antall svar fra enheten", "answers from the unit"),
        ("units", "expected_participants") => fixed("antall deltakere kontaktpersonen oppga ved påmelding; tomt når ikke oppgitt", "participants the contact expected at registration; empty when not given"),
        ("units", "response_rate_percent") => fixed("svar i prosent av forventede deltakere, én desimal", "answers as a percentage of expected participants, one decimal"),
        ("codebook", "type") => fixed("single (ett svar), multi (flere svar), scale (skala 1-5 med «Vet ikke»), recoded (omkodet kolonne i respondents.csv)", "single, multi, scale (1-5 with dont_know), recoded (a recoded column of respondents.csv)"),
        ("codebook", "section") => fixed("delen av skjemaet spørsmålet står i", "the questionnaire section"),
        ("codebook", "text_nb") | ("codebook", "text_en") => fixed("spørsmålsteksten på bokmål / engelsk", "question text in bokmål / English"),
        ("codebook", "label_nb") | ("codebook", "label_en") => fixed("svarteksten på bokmål / engelsk", "value label in bokmål / English"),
        ("indexes", "index") => fixed("indeksen: index_usefulness (nytte), index_motivation (motivasjon), index_wellbeing (trivsel)", "the index"),
        ("indexes", "items") => fixed("antall skalaspørsmål i indeksen", "number of scale items in the index"),
        ("indexes", "quorum") => fixed("minste antall av dem en person må ha svart 1-5 på for å telle med", "least number of items a respondent must answer 1-5 to count"),
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
pub fn columns_table(q: &Questionnaire, tables: &[&Table], respondents: Option<&[&str]>) -> Table {
    let header = vec!["file", "column", "meaning_nb", "meaning_en"];
    let mut files: Vec<(&str, Vec<&str>)> = tables.iter().map(|t| (t.name, t.header.clone())).collect();
    files.push(("columns", header.clone()));
    if let Some(columns) = respondents {
        files.push(("respondents", columns.to_vec()));
    }
    let rows = files
        .iter()
        .flat_map(|(file, columns)| {
            columns.iter().map(move |column| {
                let (nb, en) = meaning(file, column, q).unwrap_or_default();
                vec![text(*file), text(*column), text(nb), text(en)]
            })
        })
        .collect();
    Table { name: "columns", header, rows }
}
