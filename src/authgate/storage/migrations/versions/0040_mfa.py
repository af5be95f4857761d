"""multi-factor authentication: TOTP methods, recovery codes, WebAuthn credentials, challenges,
and the factors of an SSO session

Revision ID: 0040_mfa
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0040_mfa'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('sso_sessions', sa.Column('amr', sa.String(length=64), nullable=True))
    op.create_table('mfa_methods',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('last_step', sa.BigInteger(), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mfa_methods_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mfa_methods'))
    )
    op.create_index(op.f('ix_mfa_methods_user_id'), 'mfa_methods', ['user_id'], unique=False)
    op.create_table('recovery_codes',
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_digest', name=op.f('pk_recovery_codes'))
    )
    op.create_index(op.f('ix_recovery_codes_user_id'), 'recovery_codes', ['user_id'], unique=False)
    op.create_table('webauthn_credentials',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('credential_id', sa.String(length=1400), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('sign_count', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_webauthn_credentials_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webauthn_credentials')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_webauthn_credentials_credential_id'))
    )
    op.create_index(op.f('ix_webauthn_credentials_user_id'), 'webauthn_credentials', ['user_id'], unique=False)
    op.create_table('mfa_challenges',
    sa.Column('id_digest', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('expires_instant', sa.BigInteger(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mfa_challenges_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_digest', name=op.f('pk_mfa_challenges'))
    )
    op.create_index(op.f('ix_mfa_challenges_expires_instant'), 'mfa_challenges', ['expires_instant'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_mfa_challenges_expires_instant'), table_name='mfa_challenges')
    op.drop_table('mfa_challenges')
    op.drop_index(op.f('ix_webauthn_credentials_user_id'), table_name='webauthn_credentials')
    op.drop_table('webauthn_credentials')
    op.drop_index(op.f('ix_recovery_codes_user_id'), table_name='recovery_codes')
    op.drop_table('recovery_codes')
    op.drop_index(op.f('ix_mfa_methods_user_id'), table_name='mfa_methods')
    op.drop_table('mfa_methods')
    with op.batch_alter_table('sso_sessions') as batch:
        batch.drop_column('amr')
