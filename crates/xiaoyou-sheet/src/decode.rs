//! Turning the bytes of a CSV or TSV file into text, whatever encoding Excel saved it in.

use crate::error::SheetError;
use encoding_rs::{Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};

/// The encoding a text file was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub encoding: &'static Encoding,
    pub had_bom: bool,
}

/// Detects the encoding (byte-order marks first, then UTF-16 without BOM from the NUL pattern,
/// then a statistical guess among UTF-8, GB18030/GBK and Big5) and decodes.
pub fn decode(bytes: &[u8]) -> Result<(String, Detected), SheetError> {
    let detected = detect(bytes, true)?;
    let body = if detected.had_bom {
        Encoding::for_bom(bytes).map_or(bytes, |(_, len)| &bytes[len..])
    } else {
        bytes
    };
    let (text, had_errors) = detected.encoding.decode_without_bom_handling(body);
    if had_errors {
        return Err(SheetError::Encoding);
    }
    Ok((text.into_owned(), detected))
}

/// How many leading bytes [`detect`] wants to see of a file read as a stream.
pub const SAMPLE_LEN: usize = 256 * 1024;

/// Detects the encoding from the start of a file. `complete` says whether `sample` is the whole
/// file; when it is not, a character cut off at the sample's end is not held against UTF-8.
pub fn detect(sample: &[u8], complete: bool) -> Result<Detected, SheetError> {
    if sample.is_empty() {
        return Err(SheetError::Empty);
    }
    if let Some((encoding, _)) = Encoding::for_bom(sample) {
        return Ok(Detected {
            encoding,
            had_bom: true,
        });
    }
    let plain = |encoding| Detected {
        encoding,
        had_bom: false,
    };
    if let Some(encoding) = utf16_without_bom(sample) {
        let (_, _, had_errors) = encoding.decode(sample);
        if !had_errors || !complete {
            return Ok(plain(encoding));
        }
    }
    match std::str::from_utf8(sample) {
        Ok(_) => return Ok(plain(UTF_8)),
        Err(e) if e.error_len().is_none() && !complete => return Ok(plain(UTF_8)),
        Err(_) => {}
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(sample, complete);
    // No top-level-domain hint: the "cn" hint mistakes Big5 for GBK.
    let guess = detector.guess(None, chardetng::Utf8Detection::Allow);
    // GBK files are GB18030 subsets; decoding as GB18030 also accepts the extension characters.
    let encoding = if guess == encoding_rs::GBK {
        GB18030
    } else {
        guess
    };
    // A multi-byte character may be cut at the sample's end; judge the text before it.
    let judged = if complete {
        sample
    } else {
        &sample[..sample.len().saturating_sub(4)]
    };
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length(judged.len())
        .unwrap_or(judged.len().saturating_mul(3));
    let mut scratch = String::with_capacity(capacity);
    let (_, _, had_errors) = decoder.decode_to_string(judged, &mut scratch, complete);
    if had_errors {
        return Err(SheetError::Encoding);
    }
    Ok(plain(encoding))
}

/// UTF-16 text of mostly ASCII or CJK has a telltale pattern of NUL bytes in one half.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_nuls = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_nuls = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    if odd_nuls * 3 > pairs && even_nuls * 10 < pairs {
        Some(UTF_16LE)
    } else if even_nuls * 3 > pairs && odd_nuls * 10 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "序号,姓名,手机\n1,王伟,13800001111\n2,欧阳娜娜,13900002222\n";

    #[test]
    fn reads_what_excel_saves() -> Result<(), SheetError> {
        let (gbk, _, _) = encoding_rs::GBK.encode(SAMPLE);
        let (text, detected) = decode(&gbk)?;
        assert_eq!(text, SAMPLE);
        assert_eq!(detected.encoding, GB18030);

        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice(SAMPLE.as_bytes());
        let (text, detected) = decode(&with_bom)?;
        assert_eq!(text, SAMPLE);
        assert!(detected.had_bom);

        let utf16: Vec<u8> = SAMPLE.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend_from_slice(&utf16);
        assert_eq!(decode(&with_bom)?.0, SAMPLE);
        assert_eq!(decode(&utf16)?.0, SAMPLE, "UTF-16 without a BOM");

        assert!(matches!(decode(b""), Err(SheetError::Empty)));
        Ok(())
    }

    #[test]
    fn big5_is_not_mistaken_for_gbk() -> Result<(), SheetError> {
        let text = "姓名,畢業學校,工作單位\n陳志偉,國立臺灣大學,鴻海精密工業股份有限公司\n";
        let (big5, _, _) = encoding_rs::BIG5.encode(text);
        assert_eq!(decode(&big5)?.0, text);
        Ok(())
    }
}
