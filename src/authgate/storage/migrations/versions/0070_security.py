"""password guesses counted per (account, source) and per account, before the hash

Revision ID: 0070_security
Revises: 0030_lifecycle
"""
from alembic import op
import sqlalchemy as sa


revision = '0070_security'
down_revision = '0030_lifecycle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempts',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_start_instant', sa.BigInteger(), nullable=False),
    sa.Column('locked_until_instant', sa.BigInteger(), nullable=True),
    sa.Column('expires_instant', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_attempts'))
    )
    op.create_index(op.f('ix_login_attempts_account'), 'login_attempts', ['account'], unique=False)
    op.create_index(op.f('ix_login_attempts_expires_instant'), 'login_attempts', ['expires_instant'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_login_attempts_expires_instant'), table_name='login_attempts')
    op.drop_index(op.f('ix_login_attempts_account'), table_name='login_attempts')
    op.drop_table('login_attempts')
