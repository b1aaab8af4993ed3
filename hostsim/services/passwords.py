"""Password hashing (Werkzeug's scrypt) and the strength rule shared by every form."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10
MAX_LENGTH = 128


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    return bool(stored_hash) and check_password_hash(stored_hash, password)


def password_problem(password: str, *, field: str = "password", personal: tuple[str, ...] = ()) -> str | None:
    """A sentence saying why ``password`` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"{field}: use at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"{field}: use at most {MAX_LENGTH} characters"
    classes = sum([any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
    if classes < 3:
        return f"{field}: mix at least three of lower case, upper case, digits and symbols"
    lowered = password.lower()
    for word in personal:
        if word and len(word) >= 4 and word.lower() in lowered:
            return f"{field}: must not contain your name or email address"
    return None
