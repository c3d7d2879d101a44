import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def perms(self, create, extracted, **kwargs):
        """UserFactory(perms=["learn.view_learnitem", ...]) grants model permissions."""
        if not create or not extracted:
            return
        wanted = {tuple(perm.split(".", 1)) for perm in extracted}
        query = Q()
        for app_label, codename in wanted:
            query |= Q(content_type__app_label=app_label, codename=codename)
        found = {
            (p.content_type.app_label, p.codename): p
            for p in Permission.objects.filter(query).select_related("content_type")
        }
        missing = sorted(".".join(perm) for perm in wanted - found.keys())
        if missing:
            raise Permission.DoesNotExist(f"no such permission: {', '.join(missing)}")
        # One SELECT and one INSERT, however many permissions.
        self.user_permissions.add(*found.values())
