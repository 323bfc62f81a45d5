terraform {
  required_version = ">= 1.10"

  required_providers {
    anthropic = {
      source = "wiflabs/anthropic"
    }
  }
}
