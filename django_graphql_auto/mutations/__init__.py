"""Mutations: create, update, delete (single and bulk), nested writes, method mutations, uploads."""
