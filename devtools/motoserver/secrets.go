package motoserver

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/plexauth/plexauth/internal/secret/secrettest"
)

// CreateSecret creates a string secret in the moto at endpoint and returns its ARN.
func CreateSecret(t testing.TB, endpoint, name, value string) (arn string) {
	t.Helper()
	out, err := secrettest.NewClient(t, endpoint).CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	return aws.ToString(out.ARN)
}

// PutSecretValue stores value as the secret's new AWSCURRENT version, as a
// rotation does.
func PutSecretValue(t testing.TB, endpoint, secretID, value string) {
	t.Helper()
	_, err := secrettest.NewClient(t, endpoint).PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId:     aws.String(secretID),
		SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatalf("put secret value: %v", err)
	}
}
