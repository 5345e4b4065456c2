//! The key's record of every request and the status it answered, so tests can assert on the
//! conversation the crate had with it.

/// The kind of a request the key received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    MakeCredential,
    GetAssertion,
    GetInfo,
    /// authenticatorClientPIN with its subcommand (0x01 getPINRetries, 0x02 getKeyAgreement,
    /// 0x03 setPIN, 0x04 changePIN, 0x05 getPinToken, 0x09 getPinUvAuthTokenUsingPin…).
    ClientPin(u8),
    Reset,
    Selection,
    Other(u8),
}

impl RequestKind {
    pub const GET_PIN_RETRIES: Self = Self::ClientPin(0x01);
    pub const GET_KEY_AGREEMENT: Self = Self::ClientPin(0x02);
    pub const SET_PIN: Self = Self::ClientPin(0x03);
    pub const CHANGE_PIN: Self = Self::ClientPin(0x04);
    pub const GET_PIN_TOKEN: Self = Self::ClientPin(0x05);
    pub const GET_PIN_UV_AUTH_TOKEN_USING_PIN: Self = Self::ClientPin(0x09);

    /// A request for a pinUvAuthToken (0x05 or 0x09).
    pub fn is_token_request(self) -> bool {
        self == Self::GET_PIN_TOKEN || self == Self::GET_PIN_UV_AUTH_TOKEN_USING_PIN
    }
}

/// One request and the status the key answered it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    pub kind: RequestKind,
    pub status: u8,
}
