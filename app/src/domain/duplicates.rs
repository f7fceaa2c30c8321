//! The duplicate check before qualifying: an account may already exist under the same name (written a
//! little differently) or the same web domain; a contact under the same email. Plain Rust: the store looks
//! candidates up by these keys, and `account_match` / `contact_match` say why they match.

use serde::{Deserialize, Serialize};

/// Legal forms and filler words that do not tell two companies apart.
const NOISE: &[&str] = &[
    "sl",
    "slu",
    "sa",
    "sau",
    "sll",
    "scoop",
    "sc",
    "cb",
    "ltd",
    "limited",
    "llc",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "gmbh",
    "ag",
    "bv",
    "nv",
    "srl",
    "spa",
    "sarl",
    "plc",
    "the",
    "y",
    "and",
    "cia",
    "compania",
    "hermanos",
    "hnos",
];

/// Email domains shared by millions of people: a match on them says nothing about a company.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.es",
    "outlook.com",
    "outlook.es",
    "live.com",
    "msn.com",
    "yahoo.com",
    "yahoo.es",
    "icloud.com",
    "me.com",
    "aol.com",
    "gmx.com",
    "gmx.de",
    "proton.me",
    "protonmail.com",
    "telefonica.net",
    "movistar.es",
];

fn fold(c: char) -> char {
    match c {
        'á' | 'à' | 'ä' | 'â' | 'ã' | 'å' => 'a',
        'é' | 'è' | 'ë' | 'ê' => 'e',
        'í' | 'ì' | 'ï' | 'î' => 'i',
        'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
        'ú' | 'ù' | 'ü' | 'û' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        other => other,
    }
}

/// A company name reduced to what identifies it: "Café Ortega, S.L." and "CAFE ORTEGA SL" agree.
pub fn company_key(name: &str) -> String {
    let lowered: String = name.to_lowercase().chars().map(fold).collect();
    // "S.L." is one word once its dots go; other punctuation separates words.
    let joined = lowered.replace('.', "");
    let words: Vec<&str> = joined
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let kept: Vec<&str> = words.iter().copied().filter(|w| !NOISE.contains(w)).collect();
    // A name made only of noise ("The Company") keeps its words rather than becoming empty.
    if kept.is_empty() {
        words.join(" ")
    } else {
        kept.join(" ")
    }
}

/// The web domain of a website or an email address, without "www."; None for free mail providers and
/// for text that holds no domain.
pub fn web_domain(website_or_email: &str) -> Option<String> {
    let s = website_or_email.trim().to_lowercase();
    let host = match s.rsplit_once('@') {
        Some((_, d)) => d.to_string(),
        None => {
            let no_scheme = s.split("://").last().unwrap_or("");
            no_scheme.split(['/', '?', '#', ':']).next().unwrap_or("").to_string()
        }
    };
    let host = host.trim_end_matches('.').trim_start_matches("www.").to_string();
    let valid = host.contains('.')
        && host
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    (valid && !FREE_MAIL.contains(&host.as_str())).then_some(host)
}

pub fn email_key(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    (e.contains('@') && e.len() > 3).then_some(e)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchReason {
    SameName,
    SameDomain,
    SameEmail,
}

impl MatchReason {
    pub fn label(self) -> &'static str {
        match self {
            MatchReason::SameName => "same name",
            MatchReason::SameDomain => "same web domain",
            MatchReason::SameEmail => "same email",
        }
    }
}

/// Why an existing account (name, website) may be the lead's company (name, website, email).
pub fn account_match(
    account_name: &str,
    account_website: &str,
    company: &str,
    website: &str,
    email: &str,
) -> Vec<MatchReason> {
    let mut out = Vec::new();
    let key = company_key(company);
    if !key.is_empty() && company_key(account_name) == key {
        out.push(MatchReason::SameName);
    }
    let theirs = web_domain(account_website);
    let ours = [web_domain(website), web_domain(email)];
    if theirs.is_some() && ours.contains(&theirs) {
        out.push(MatchReason::SameDomain);
    }
    out
}

pub fn contact_match(contact_email: &str, email: &str) -> Vec<MatchReason> {
    match (email_key(contact_email), email_key(email)) {
        (Some(a), Some(b)) if a == b => vec![MatchReason::SameEmail],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_names_are_normalised() {
        assert_eq!(company_key("Café Ortega, S.L."), "cafe ortega");
        assert_eq!(company_key("CAFE ORTEGA SL"), "cafe ortega");
        assert_eq!(company_key("  Cafetería  Núñez y Hnos. "), "cafeteria nunez");
        assert_eq!(company_key("The Company"), "the company", "all noise keeps its words");
        assert_ne!(company_key("Café Ortega"), company_key("Café Ortiz"));
    }

    #[test]
    fn web_domains_come_from_websites_and_work_emails() {
        assert_eq!(
            web_domain("https://www.Cafe-Ortega.es/contacto?x=1").as_deref(),
            Some("cafe-ortega.es")
        );
        assert_eq!(web_domain("cafe-ortega.es").as_deref(), Some("cafe-ortega.es"));
        assert_eq!(web_domain("ana@Cafe-Ortega.es").as_deref(), Some("cafe-ortega.es"));
        assert_eq!(
            web_domain("ana@gmail.com"),
            None,
            "free mail says nothing about the company"
        );
        assert_eq!(web_domain("not a site"), None);
        assert_eq!(web_domain(""), None);
    }

    #[test]
    fn accounts_match_by_name_or_domain_and_contacts_by_email() {
        assert_eq!(
            account_match("Cafe Ortega SL", "", "Café Ortega, S.L.", "", ""),
            vec![MatchReason::SameName]
        );
        assert_eq!(
            account_match(
                "Ortega Group",
                "http://cafe-ortega.es",
                "Café Ortega",
                "",
                "ana@cafe-ortega.es"
            ),
            vec![MatchReason::SameDomain]
        );
        assert!(account_match("Bar Sol", "barsol.es", "Café Ortega", "", "ana@gmail.com").is_empty());
        assert_eq!(
            contact_match(" Ana@Cafe-Ortega.es", "ana@cafe-ortega.es"),
            vec![MatchReason::SameEmail]
        );
        assert!(contact_match("", "").is_empty());
    }
}
