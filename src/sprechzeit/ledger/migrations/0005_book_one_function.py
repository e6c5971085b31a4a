"""`ledger_book_one(…)`: one transfer booked in one round trip on PostgreSQL.

The function does what `booking._book_once` does for a single request, in the same order
and with the same outcomes (`ledger/single.py` calls it; the SQLite path and batches stay
in Python):

1. load the hold a post/void/expiry resolves (to learn its accounts);
2. lock the touched non-hot accounts in primary-key order (`FOR NO KEY UPDATE`), read the
   hot ones without a lock;
3. look the id up: same content → the stored transfer (replayed), a remembered failure →
   `id_already_failed`, other content → `id_conflict`;
4. check accounts, currencies, limits (pending debits count), the hold's state, expiry
   and amounts; a failure that depends on the ledger's state is remembered in
   `ledger_failedtransfer` (as `booking` does) and returned as a code with its fields;
5. insert the transfer, update the locked accounts' counters, append one delta row per
   hot account.

A racing caller with the same id (or the same hold) ends in a unique violation that the
caller retries, as on the Python path. The insert-only triggers and the CHECK constraints
apply unchanged: the function runs with the caller's privileges (SECURITY INVOKER).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION ledger_book_one(
    p_id uuid, p_kind text, p_debit bigint, p_credit bigint, p_amount bigint,
    p_currency text, p_purpose text, p_reference text, p_metadata jsonb, p_pending uuid,
    p_timeout interval, p_batch uuid, p_hash text, p_now timestamptz
) RETURNS TABLE (
    outcome text, code text, message text, fields jsonb,
    t_kind text, t_debit bigint, t_credit bigint, t_amount bigint, t_currency text,
    t_purpose text, t_reference text, t_pending uuid, t_expires timestamptz,
    t_batch uuid, t_created timestamptz
) LANGUAGE plpgsql AS $fn$
DECLARE
    h ledger_transfer%ROWTYPE;
    known ledger_transfer%ROWTYPE;
    failed ledger_failedtransfer%ROWTYPE;
    d ledger_account%ROWTYPE;
    c ledger_account%ROWTYPE;
    v_debit bigint := p_debit;
    v_credit bigint := p_credit;
    v_amount bigint := p_amount;
    v_currency text := p_currency;
    v_expires timestamptz;
    v_resolved text;
    v_code text;
    v_msg text := '';
    v_fields jsonb;
    v_held bigint;
    v_due boolean;
    dpe bigint := 0; dpo bigint := 0; cpe bigint := 0; cpo bigint := 0;
BEGIN
    IF p_kind NOT IN ('single', 'pending') THEN
        SELECT * INTO h FROM ledger_transfer WHERE id = p_pending AND id <> p_id;
    END IF;
    PERFORM 1 FROM ledger_account
        WHERE id = ANY(ARRAY[p_debit, p_credit, h.debit_account_id, h.credit_account_id])
          AND NOT hot
        ORDER BY id FOR NO KEY UPDATE;

    SELECT * INTO known FROM ledger_transfer WHERE id = p_id;
    IF FOUND THEN
        IF known.payload_hash <> p_hash THEN
            RETURN QUERY SELECT 'error', 'id_conflict', '',
                jsonb_build_object('transfer_id', p_id::text),
                NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text,
                NULL::text, NULL::uuid, NULL::timestamptz, NULL::uuid, NULL::timestamptz;
            RETURN;
        END IF;
        RETURN QUERY SELECT 'replayed', '', '', NULL::jsonb, known.kind::text,
            known.debit_account_id, known.credit_account_id, known.amount,
            known.currency::text, known.purpose::text, known.reference::text,
            known.pending_id, known.expires_at, known.batch_id, known.created_at;
        RETURN;
    END IF;
    SELECT * INTO failed FROM ledger_failedtransfer WHERE id = p_id;
    IF FOUND THEN
        IF failed.payload_hash <> p_hash THEN
            v_code := 'id_conflict';
            v_fields := jsonb_build_object('transfer_id', p_id::text);
        ELSE
            v_code := 'id_already_failed';
            v_fields := jsonb_build_object('original_code', failed.code, 'transfer_id', p_id::text);
        END IF;
        RETURN QUERY SELECT 'error', v_code, '', v_fields,
            NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text,
            NULL::text, NULL::uuid, NULL::timestamptz, NULL::uuid, NULL::timestamptz;
        RETURN;
    END IF;

    <<checks>>
    BEGIN
        IF p_kind IN ('single', 'pending') THEN
            SELECT * INTO d FROM ledger_account WHERE id = p_debit;
            IF NOT FOUND THEN
                v_code := 'account_not_found'; v_fields := jsonb_build_object('account_id', p_debit);
                EXIT checks;
            END IF;
            SELECT * INTO c FROM ledger_account WHERE id = p_credit;
            IF NOT FOUND THEN
                v_code := 'account_not_found'; v_fields := jsonb_build_object('account_id', p_credit);
                EXIT checks;
            END IF;
            IF d.closed OR c.closed THEN
                v_code := 'account_closed';
                v_fields := jsonb_build_object('account_id', CASE WHEN d.closed THEN d.id ELSE c.id END);
                EXIT checks;
            END IF;
            IF d.currency <> p_currency OR c.currency <> p_currency THEN
                v_code := 'currency_mismatch';
                v_fields := jsonb_build_object('amount', p_currency, 'debit', d.currency, 'credit', c.currency);
                EXIT checks;
            END IF;
            IF p_kind = 'pending' THEN
                dpe := p_amount; cpe := p_amount;
                IF p_timeout IS NOT NULL THEN v_expires := p_now + p_timeout; END IF;
            ELSE
                dpo := p_amount; cpo := p_amount;
            END IF;
            IF d.debits_must_not_exceed_credits
               AND d.debits_pending + dpe + d.debits_posted + dpo > d.credits_posted THEN
                v_code := 'exceeds_credits';
                v_fields := jsonb_build_object('account_id', d.id,
                    'available', d.credits_posted - d.debits_posted - d.debits_pending,
                    'amount', p_amount);
                EXIT checks;
            END IF;
            IF c.credits_must_not_exceed_debits
               AND c.credits_pending + cpe + c.credits_posted + cpo > c.debits_posted THEN
                v_code := 'exceeds_debits';
                v_fields := jsonb_build_object('account_id', c.id, 'amount', p_amount);
                EXIT checks;
            END IF;
        ELSE
            IF h.id IS NULL OR h.kind <> 'pending' THEN
                v_code := 'pending_transfer_not_found';
                v_fields := jsonb_build_object('pending_id', p_pending::text);
                EXIT checks;
            END IF;
            SELECT kind INTO v_resolved FROM ledger_transfer WHERE pending_id = h.id;
            IF v_resolved IS NOT NULL THEN
                v_code := CASE v_resolved
                    WHEN 'post_pending' THEN 'pending_transfer_already_posted'
                    WHEN 'void_pending' THEN 'pending_transfer_already_voided'
                    ELSE 'pending_transfer_expired' END;
                v_fields := jsonb_build_object('pending_id', h.id::text);
                EXIT checks;
            END IF;
            v_due := h.expires_at IS NOT NULL AND p_now >= h.expires_at;
            IF p_kind = 'expire_pending' AND NOT v_due THEN
                v_code := 'invalid_transfer'; v_msg := 'The hold has not expired yet.';
                v_fields := jsonb_build_object('pending_id', h.id::text);
                EXIT checks;
            ELSIF p_kind <> 'expire_pending' AND v_due THEN
                v_code := 'pending_transfer_expired';
                v_fields := jsonb_build_object('pending_id', h.id::text);
                EXIT checks;
            END IF;
            IF p_debit IS NOT NULL AND p_debit <> h.debit_account_id THEN
                v_code := 'pending_transfer_mismatch';
                v_fields := jsonb_build_object('pending_id', h.id::text, 'account_id', p_debit);
                EXIT checks;
            END IF;
            IF p_credit IS NOT NULL AND p_credit <> h.credit_account_id THEN
                v_code := 'pending_transfer_mismatch';
                v_fields := jsonb_build_object('pending_id', h.id::text, 'account_id', p_credit);
                EXIT checks;
            END IF;
            IF p_amount IS NOT NULL AND p_currency <> h.currency THEN
                v_code := 'currency_mismatch';
                v_fields := jsonb_build_object('amount', p_currency, 'hold', h.currency);
                EXIT checks;
            END IF;
            SELECT * INTO d FROM ledger_account WHERE id = h.debit_account_id;
            SELECT * INTO c FROM ledger_account WHERE id = h.credit_account_id;
            v_held := h.amount;
            v_debit := h.debit_account_id; v_credit := h.credit_account_id;
            v_currency := h.currency;
            IF p_kind = 'post_pending' THEN
                IF d.closed OR c.closed THEN
                    v_code := 'account_closed';
                    v_fields := jsonb_build_object('account_id', CASE WHEN d.closed THEN d.id ELSE c.id END);
                    EXIT checks;
                END IF;
                v_amount := coalesce(p_amount, v_held);
                IF v_amount > v_held THEN
                    v_code := 'exceeds_pending_transfer_amount';
                    v_fields := jsonb_build_object('pending_id', h.id::text, 'held', v_held, 'amount', v_amount);
                    EXIT checks;
                END IF;
                dpo := v_amount; cpo := v_amount;
            ELSE
                IF p_amount IS NOT NULL AND p_amount <> v_held THEN
                    v_code := 'pending_transfer_mismatch';
                    v_fields := jsonb_build_object('pending_id', h.id::text, 'held', v_held);
                    EXIT checks;
                END IF;
                v_amount := v_held;
            END IF;
            dpe := -v_held; cpe := -v_held;
        END IF;
    END checks;

    IF v_code IS NOT NULL THEN
        v_fields := v_fields || jsonb_build_object('transfer_id', p_id::text);
        IF v_code <> 'invalid_transfer' THEN
            INSERT INTO ledger_failedtransfer (id, code, payload_hash, fields, created_at)
            SELECT p_id, v_code, p_hash, jsonb_object_agg(key, value #>> '{}'), p_now
            FROM jsonb_each(v_fields);
        END IF;
        RETURN QUERY SELECT 'error', v_code, v_msg, v_fields,
            NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text,
            NULL::text, NULL::uuid, NULL::timestamptz, NULL::uuid, NULL::timestamptz;
        RETURN;
    END IF;

    INSERT INTO ledger_transfer (id, kind, debit_account_id, credit_account_id, amount,
        currency, purpose, reference, metadata, pending_id, expires_at, batch_id,
        payload_hash, created_at)
    VALUES (p_id, p_kind, v_debit, v_credit, v_amount, v_currency, p_purpose, p_reference,
        p_metadata, CASE WHEN p_kind IN ('single', 'pending') THEN NULL ELSE h.id END,
        v_expires, p_batch, p_hash, p_now);
    IF d.hot THEN
        INSERT INTO ledger_accountdelta (account_id, debits_pending, debits_posted,
            credits_pending, credits_posted) VALUES (d.id, dpe, dpo, 0, 0);
    ELSE
        UPDATE ledger_account SET debits_pending = debits_pending + dpe,
            debits_posted = debits_posted + dpo WHERE id = d.id;
    END IF;
    IF c.hot THEN
        INSERT INTO ledger_accountdelta (account_id, debits_pending, debits_posted,
            credits_pending, credits_posted) VALUES (c.id, 0, 0, cpe, cpo);
    ELSE
        UPDATE ledger_account SET credits_pending = credits_pending + cpe,
            credits_posted = credits_posted + cpo WHERE id = c.id;
    END IF;
    RETURN QUERY SELECT 'booked', '', '', NULL::jsonb, p_kind, v_debit, v_credit, v_amount,
        v_currency, p_purpose, p_reference,
        CASE WHEN p_kind IN ('single', 'pending') THEN NULL ELSE h.id END,
        v_expires, p_batch, p_now;
END;
$fn$
"""

SIGNATURE = (
    "ledger_book_one(uuid, text, bigint, bigint, bigint, text, text, text, jsonb, uuid,"
    " interval, uuid, text, timestamptz)"
)


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}", params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_reverse_charge_accounts")]
    operations = [migrations.RunPython(forward, backward)]
