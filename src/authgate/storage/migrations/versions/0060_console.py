"""admin console sessions

Revision ID: 0060_console
Revises: 0050_events
"""
from alembic import op
import sqlalchemy as sa


revision = '0060_console'
down_revision = '0050_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admin_sessions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('sso_session_id', sa.String(length=36), nullable=True),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('insert_instant', sa.BigInteger(), nullable=False),
    sa.Column('last_seen_instant', sa.BigInteger(), nullable=False),
    sa.Column('expires_instant', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_admin_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_sessions')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_admin_sessions_token_digest'))
    )
    op.create_index(op.f('ix_admin_sessions_user_id'), 'admin_sessions', ['user_id'], unique=False)
    op.create_index(op.f('ix_admin_sessions_expires_instant'), 'admin_sessions', ['expires_instant'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_admin_sessions_expires_instant'), table_name='admin_sessions')
    op.drop_index(op.f('ix_admin_sessions_user_id'), table_name='admin_sessions')
    op.drop_table('admin_sessions')
