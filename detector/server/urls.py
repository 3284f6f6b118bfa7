from django.urls import path

from detector.server import api, views

urlpatterns = [
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("", views.schedule, name="schedule"),
    path("inspections", views.inspections, name="inspections"),
    path("inspections/<str:inspection_id>", views.inspection, name="inspection"),
    path("evidence/<str:sha256>", views.evidence, name="evidence"),
    path("statistics", views.statistics_page, name="statistics-page"),
    path("statistics.<str:fmt>", views.statistics, name="statistics"),
    path("teams", views.teams, name="teams"),
    path("users", views.users, name="users"),
    path("api/heads", api.heads, name="api-heads"),
    path("api/records", api.records, name="api-records"),
    path("api/evidence/<str:sha256>", api.evidence, name="api-evidence"),
]
