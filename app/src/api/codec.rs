//! JSON for server functions, read in the browser as text (`serde_json::from_str`) rather than as bytes.
//! The page's hydrated resources and the device's storage read JSON as text too, so each type's reading
//! code is compiled into the browser's download once instead of twice (see docs/performance.md).
//! The wire format is the same as server_fn's own JSON encoding.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(<serde_json::Error as serde::de::Error>::custom)?;
        serde_json::from_str(text)
    }
}

/// Arguments and answers as JSON in the body of a `POST`.
pub type Json = Post<JsonText>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes_and_refuses_what_is_not_text() {
        let bytes = <JsonText as Encodes<Vec<String>>>::encode(&vec!["Núñez".to_string()]).unwrap();
        assert_eq!(&bytes[..], "[\"Núñez\"]".as_bytes());
        let back: Vec<String> = <JsonText as Decodes<Vec<String>>>::decode(bytes).unwrap();
        assert_eq!(back, vec!["Núñez".to_string()]);
        assert!(<JsonText as Decodes<Vec<String>>>::decode(Bytes::from_static(b"[\"\xff\"]")).is_err());
    }
}
