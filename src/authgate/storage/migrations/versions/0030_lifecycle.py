"""account lifecycle: mail outbox and single-use action ids; emails and usernames re-keyed as
NFKC + case-folded (what authgate.storage.repos.users now looks them up by)

Revision ID: 0030_lifecycle
Revises: 0060_console
Create Date: 2026-11-29 17:18:46.883092
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0030_lifecycle'
down_revision = '0060_console'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_outbox',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=998), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_instant', sa.BigInteger(), nullable=False),
    sa.Column('lease_owner', sa.String(length=36), nullable=True),
    sa.Column('lease_until_instant', sa.BigInteger(), nullable=True),
    sa.Column('sent_instant', sa.BigInteger(), nullable=True),
    sa.Column('failed_instant', sa.BigInteger(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_due', ['sent_instant', 'failed_instant', 'next_attempt_instant'], unique=False)

    op.create_table('action_ids',
    sa.Column('id_digest', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.Column('expires_instant', sa.BigInteger(), nullable=False),
    sa.Column('used_instant', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_action_ids_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_digest', name=op.f('pk_action_ids'))
    )
    with op.batch_alter_table('action_ids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_ids_expires_instant'), ['expires_instant'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_ids_user_id'), ['user_id'], unique=False)

    # Login ids were stored lower-cased; they are now NFKC-normalised and case-folded, so "ＡＢ@x"
    # and "ab@x" are one address. Only non-ASCII values can differ. A row whose new key is
    # already taken keeps its old one (its owner can still log in with the exact old spelling).
    conn = op.get_bind()
    users = sa.table("users", sa.column("id", sa.String), sa.column("email", sa.String), sa.column("username", sa.String))
    taken = {v for row in conn.execute(sa.select(users.c.email, users.c.username)) for v in row if v}
    for row in conn.execute(sa.select(users.c.id, users.c.email, users.c.username)).all():
        for column in ("email", "username"):
            old = getattr(row, column)
            if not old or old.isascii():
                continue
            new = unicodedata.normalize("NFKC", old).casefold()
            if new != old and new not in taken:
                conn.execute(users.update().where(users.c.id == row.id).values({column: new}))
                taken.add(new)



def downgrade() -> None:
    with op.batch_alter_table('action_ids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_ids_user_id'))
        batch_op.drop_index(batch_op.f('ix_action_ids_expires_instant'))

    op.drop_table('action_ids')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_due')

    op.drop_table('mail_outbox')
