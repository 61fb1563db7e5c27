//! Which SES refusals hand a mail job back to the queue: against a server on
//! 127.0.0.1 that answers SendEmail as SES does, only a refusal of the message
//! itself (its content or its address) is final. Everything else (throttling,
//! an account paused or suspended, a sender domain or configuration set that
//! is not there, a response that cannot be read) holds for every job alike
//! while it lasts, so the job must wait in the queue, and then in the
//! dead-letter queue under its alarm, rather than be dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use aws_sdk_sesv2::config::retry::RetryConfig;
use survey_aws::config::MailConfig;
use survey_aws::{lambda_sdk_config_from, SesMailer};
use survey_domain::contact::Email;
use survey_domain::{Mailer, OutgoingEmail};

/// How the server answers every request.
#[derive(Clone, Copy)]
enum Answer {
    /// A status and SES's error type, as SES's REST-JSON errors come.
    Error(&'static str, &'static str),
    /// The same with SES's own message.
    Said(&'static str, &'static str, &'static str),
    /// `200 OK` with a body that is not SendEmail's output.
    Unreadable,
    /// `200 OK` whose body breaks off before its stated length.
    CutShort,
    Sent,
}

/// Reads one request off `reader`; `false` once the client has closed the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<bool> {
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(false);
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    reader.read_exact(&mut vec![0; length])?;
    Ok(true)
}

fn serve(stream: TcpStream, answer: Answer) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while read_request(&mut reader)? {
        let (status, error_type, body, cut) = match answer {
            Answer::Error(status, kind) => (status, Some(kind), format!(r#"{{"message":"canned {kind}"}}"#), false),
            Answer::Said(status, kind, message) => (status, Some(kind), format!(r#"{{"message":"{message}"}}"#), false),
            Answer::Unreadable => ("200 OK", None, "<html>a proxy's page</html>".to_owned(), false),
            Answer::CutShort => ("200 OK", None, r#"{"MessageId":"0100018f-canned"}"#.to_owned(), true),
            Answer::Sent => ("200 OK", None, r#"{"MessageId":"0100018f-canned"}"#.to_owned(), false),
        };
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nx-amzn-RequestId: canned\r\n",
            body.len()
        );
        if let Some(kind) = error_type {
            head.push_str(&format!(
                "x-amzn-ErrorType: {kind}:http://internal.amazon.com/coral/com.amazonaws.sesv2/\r\n"
            ));
        }
        head.push_str("\r\n");
        writer.write_all(head.as_bytes())?;
        if cut {
            writer.write_all(&body.as_bytes()[..body.len() / 2])?;
            writer.flush()?;
            return writer.shutdown(std::net::Shutdown::Both);
        }
        writer.write_all(body.as_bytes())?;
        writer.flush()?;
    }
    Ok(())
}

/// The functions' own mailer, its SES a server on 127.0.0.1 that gives `answer`
/// to every request; the SDK's own retries are off, so each send is one request.
fn mailer_answering(answer: Answer) -> SesMailer {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port on 127.0.0.1");
    let endpoint = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream, answer));
        }
    });
    let sdk = lambda_sdk_config_from(|name| match name {
        "AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        "AWS_REGION" => Some("eu-north-1".to_owned()),
        _ => None,
    });
    let client = aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(&sdk).retry_config(RetryConfig::disabled()).build(),
    );
    let config = MailConfig {
        from: "IMDi <noreply@imdi.example>".into(),
        site_url: "https://site.example".into(),
        configuration_set: Some("survey".into()),
        queue_url: String::new(),
    };
    SesMailer::new(client, config)
}

fn message() -> OutgoingEmail {
    OutgoingEmail {
        to: Email::parse("kari@bergen.kommune.no").unwrap(),
        subject: "Tilgangskode".into(),
        text: "Hei".into(),
        html: "<p>Hei</p>".into(),
    }
}

/// What SES says when the sender's identity is not verified: it holds for every message.
const SENDER_UNVERIFIED: &str = "Email address is not verified. The following identities failed the check in region EU-NORTH-1: noreply@imdi.example";
/// What SES says in its sandbox for a recipient it was not told of: this message only.
const RECIPIENT_UNVERIFIED: &str = "Email address is not verified. The following identities failed the check in region EU-NORTH-1: kari@bergen.kommune.no";

#[tokio::test]
async fn only_a_refusal_of_the_message_itself_is_final() {
    let cases = [
        ("throttled", Answer::Error("429 Too Many Requests", "TooManyRequestsException"), true),
        ("daily quota", Answer::Error("400 Bad Request", "LimitExceededException"), true),
        ("sending paused", Answer::Error("400 Bad Request", "SendingPausedException"), true),
        ("account suspended", Answer::Error("400 Bad Request", "AccountSuspendedException"), true),
        ("sender domain unverified", Answer::Error("400 Bad Request", "MailFromDomainNotVerifiedException"), true),
        ("configuration set missing", Answer::Error("404 Not Found", "NotFoundException"), true),
        ("an error code this SDK does not know", Answer::Error("400 Bad Request", "BrandNewException"), true),
        ("server error", Answer::Error("500 Internal Server Error", "InternalFailure"), true),
        ("unreadable response", Answer::Unreadable, true),
        ("response cut short", Answer::CutShort, true),
        ("message rejected", Answer::Error("400 Bad Request", "MessageRejected"), false),
        ("sender address not verified", Answer::Said("400 Bad Request", "MessageRejected", SENDER_UNVERIFIED), true),
        (
            "recipient not verified (sandbox)",
            Answer::Said("400 Bad Request", "MessageRejected", RECIPIENT_UNVERIFIED),
            false,
        ),
        ("invalid address", Answer::Error("400 Bad Request", "BadRequestException"), false),
    ];
    let mut wrong = Vec::new();
    for (name, answer, retryable) in cases {
        let error = mailer_answering(answer).send(&message()).await.expect_err(name);
        if error.retryable != retryable {
            wrong.push(format!("{name}: {:?}", error.source));
        }
    }
    assert!(wrong.is_empty(), "handed back when it should be dropped, or the other way:\n{}", wrong.join("\n"));
    mailer_answering(Answer::Sent).send(&message()).await.expect("a message SES accepts is sent");
}
