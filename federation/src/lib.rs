//! ActivityPub for Maillage.
