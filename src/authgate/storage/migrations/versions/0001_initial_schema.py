"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 15:16:34.931536
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_digest', name=op.f('uq_api_keys_key_digest'))
    )
    op.create_table('applications',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.Column('last_update_instant', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications'))
    )
    op.create_table('revoked_grants',
    sa.Column('grant_id', sa.String(length=36), nullable=False),
    sa.Column('revoked_instant', sa.BigInteger(), nullable=False),
    sa.Column('expires_instant', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('grant_id', name=op.f('pk_revoked_grants'))
    )
    op.create_table('signing_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('algorithm', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('public_pem', sa.Text(), nullable=True),
    sa.Column('private_pem', sa.Text(), nullable=True),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.Column('retire_instant', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys'))
    )
    op.create_table('used_nonces',
    sa.Column('value_digest', sa.String(length=64), nullable=False),
    sa.Column('expires_instant', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('value_digest', name=op.f('pk_used_nonces'))
    )
    with op.batch_alter_table('used_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_nonces_expires_instant'), ['expires_instant'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('username', sa.String(length=320), nullable=True),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.Column('last_update_instant', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('authorization_codes',
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('session_id', sa.String(length=36), nullable=True),
    sa.Column('grant_id', sa.String(length=36), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.Column('expires_instant', sa.BigInteger(), nullable=False),
    sa.Column('consumed_instant', sa.BigInteger(), nullable=True),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_authorization_codes_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_authorization_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_digest', name=op.f('pk_authorization_codes'))
    )
    op.create_table('login_failures',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_start_instant', sa.BigInteger(), nullable=False),
    sa.Column('locked_until_instant', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_failures_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_login_failures'))
    )
    op.create_table('refresh_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=True),
    sa.Column('session_id', sa.String(length=36), nullable=True),
    sa.Column('start_instant', sa.BigInteger(), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.Column('expires_instant', sa.BigInteger(), nullable=False),
    sa.Column('used_instant', sa.BigInteger(), nullable=True),
    sa.Column('revoked_instant', sa.BigInteger(), nullable=True),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_refresh_tokens_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_refresh_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_tokens')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_refresh_tokens_token_digest'))
    )
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_tokens_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_tokens_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_tokens_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.Column('last_update_instant', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_registrations_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_registrations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index('uq_registrations_user_app', ['user_id', 'application_id'], unique=True)

    op.create_table('sso_sessions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('cookie_digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('auth_instant', sa.BigInteger(), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.Column('expires_instant', sa.BigInteger(), nullable=False),
    sa.Column('revoked_instant', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sso_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_sessions')),
    sa.UniqueConstraint('cookie_digest', name=op.f('uq_sso_sessions_cookie_digest'))
    )
    with op.batch_alter_table('sso_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_sessions_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sso_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_sessions_user_id'))

    op.drop_table('sso_sessions')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('uq_registrations_user_app')

    op.drop_table('registrations')
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_session_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_family_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_application_id'))

    op.drop_table('refresh_tokens')
    op.drop_table('login_failures')
    op.drop_table('authorization_codes')
    op.drop_table('users')
    with op.batch_alter_table('used_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_nonces_expires_instant'))

    op.drop_table('used_nonces')
    op.drop_table('signing_keys')
    op.drop_table('revoked_grants')
    op.drop_table('applications')
    op.drop_table('api_keys')
